"""The checker: build the network a config describes, check Equations 1–4 (the public entry
points, check and assert_gradients_match, are :mod:`.api`'s).

:class:`Checker` is a sequencer. For each layer and quantity it asks the analytic side for the
tensor, the finite differences (:mod:`.elements`, :mod:`.directions`) for their estimates of the
chosen elements (:mod:`.sampling`), settles the elements on kinks (:mod:`.kinks`), compares, and
hands the rows to the report with a diagnosis, hints and warnings (its cost: :mod:`.budget`).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..core.backprop import BUILT_IN
from ..core.notation import quantity_symbol
from ..errors import BackpropCheckError
from ..numeric.engine import DEFAULT_MAX_MEMORY, PerturbationEngine
from ..numeric.finite_differences import METHODS
from ..numeric.precision import judging_atol
from ..numeric.targets import QUANTITIES, Target
from ..report.data import CheckReport, ProgressEvent, QuantityCheck
from ..spec.build import build_problem
from ..spec.config import Config
from .analytic_side import (
    AnalyticSide,
    analytic_result,
    declared,
    forward_row,
    guard_user_loss_calls,
    located,
    withheld,
)
from .assembly import assemble_report
from .budget import estimate_seconds, guard_memory, thread_budget, usable_jobs
from .checked_loss import CheckedLoss
from .compare import compare
from .convention_hints import row_hint
from .directions import check_directions
from .elements import ElementEstimates, estimate_elements, second_opinion
from .kinks import KinkVerdicts, judge_kinks, kink_convention, listed_kinks
from .rows import error_map, no_verdict, skipped_row
from .sampling import sample_elements
from .step import usable_step
from .workers import worker_pool

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from .hints import Hint
    from .hooks import UserCode

__all__ = ["AnalyticSide", "CheckInterrupted", "Checker", "ProgressEvent"]

Array = np.ndarray
ProgressCallback = Callable[[ProgressEvent], None]


class CheckInterrupted(KeyboardInterrupt):
    """Ctrl-C during :meth:`Checker.run`: still a KeyboardInterrupt, with the rows done so far.

    ``completed``: the finished rows in the order checked; ``total``: the whole check's rows.
    """

    def __init__(self, completed: tuple[QuantityCheck, ...], total: int) -> None:
        super().__init__(f"interrupted after {len(completed)} of {total} checks")
        self.completed, self.total = completed, total


class Checker:
    """A network and batch built from a config, its analytic gradients, ready to be checked.

    ``analytic`` replaces the analytic side (selftest's mutants, tests); otherwise it is the
    user's code when given (else the config's ``impl:``), else the built-in Equations 1–4.
    """

    def __init__(
        self,
        config: Config,
        *,
        max_memory: int = DEFAULT_MAX_MEMORY,
        jobs: int | None = None,
        user_code: UserCode | None = None,
        analytic: AnalyticSide | None = None,
    ) -> None:
        guard_memory(config, max_memory)
        self.config = config
        self.jobs = usable_jobs(jobs, config)
        self.method = METHODS[config.check.method]
        if user_code is None and analytic is None and config.impl is not None:
            from .user_code import user_code_for  # the loader only where there is user code

            user_code = user_code_for(config, None)
        self.user_code = user_code
        if analytic is None:
            analytic = user_code.analytic() if user_code is not None else BUILT_IN
        self.analytic_side: AnalyticSide = analytic
        self.second_opinion = True  # off in with_step's twins
        # Overflow or 0·∞ in a saturated network shows up as unresolvable rows in the report,
        # with a precision warning; numpy's own warnings would only interrupt it. One batch's
        # forward and backward passes are small products: more BLAS threads only wait on them
        # for each other, and on a busy machine for a CPU (0.1 s instead of 5 ms, mnist-sized).
        with thread_budget(1, serial=True), np.errstate(all="ignore"):
            self.network, self.x, self.y = build_problem(config)
            self.engine = PerturbationEngine(
                self.network, self.x, self.y, max_memory=max(1, max_memory // self.jobs)
            )
            step, self.step_notes = usable_step(
                config, self.network, self.engine.trace, method=self.method
            )
            if step != config.check.step:
                self.config = config = dataclasses.replace(
                    config, check=dataclasses.replace(config.check, eps=step)
                )
            self.result = analytic_result(
                config, self.network, self.x, self.y, self.engine.trace, analytic
            )
            self.gradients = self.result.gradients
            self.surface = CheckedLoss(self.engine, self.result.scale, self.result.user_loss)
            self.declared = declared(config, analytic, len(self.x))
            self.forward = forward_row(
                *(self.result, self.network, self.engine.sample_losses),
                rtol=config.check.relative_tolerance,
                atol=self.judging_atol("W"),
                declared=self.declared,
            )
        sizes = [int(np.prod(self.engine.shape(t))) for t in self.targets if t.quantity != "phi"]
        guard_user_loss_calls(config, self.result.user_loss, sizes, self.method)

    def with_step(self, eps: float) -> Checker:
        """The same network, batch and caches, checked with another finite-difference step, by
        the method's own estimates alone (no second opinion): a sweep shows what a step does."""
        twin = copy.copy(self)
        twin.second_opinion = False
        twin.config = dataclasses.replace(
            self.config, check=dataclasses.replace(self.config.check, eps=eps)
        )
        return twin

    @property
    def targets(self) -> list[Target]:
        return [
            Target(layer=j, quantity=quantity)
            for j in range(1, self.network.depth + 1)
            for quantity in QUANTITIES
        ]

    def element_count(self) -> int:
        """Elements a full check perturbs, φ included."""
        return sum(int(np.prod(self.engine.shape(target))) for target in self.targets)

    def estimate_seconds(self) -> float:
        """How long a full element-by-element check would take, from a short timed probe."""
        with np.errstate(all="ignore"):
            return estimate_seconds(
                self.engine,
                self.targets,
                step=self.config.check.step,
                evaluations=self.method.evaluations,
                jobs=self.jobs,
            )

    # ------------------------------------------------------------------ the check

    def run(self, *, progress: ProgressCallback | None = None) -> CheckReport:
        """Compare analytic and numerical gradients of every layer and quantity."""
        completed: list[QuantityCheck] = []
        numeric: dict[Target, Array] = {}
        if self.result.user_loss is not None:
            self.result.user_loss.calls = 0  # the bound is per run (a sweep makes several)
        budget = thread_budget(self.jobs, serial=self.config.check.mode == "directions")
        try:
            with budget, np.errstate(all="ignore"), worker_pool(self.jobs) as pool:
                for target in self.targets:
                    started = time.perf_counter()
                    row, numeric[target] = self._check_target(target, pool, progress)
                    seconds = time.perf_counter() - started
                    completed.append(dataclasses.replace(row, seconds=seconds))
        except KeyboardInterrupt:
            raise CheckInterrupted(tuple(completed), len(self.targets)) from None
        except BackpropCheckError as error:  # your loss called too often, or failing
            raise located(self.config, error) from None
        with np.errstate(all="ignore"):
            return assemble_report(self, completed, numeric)

    def judging_atol(self, quantity: str | None = None) -> float:
        """atol as elements are judged: raised to the round-off floor of a large loss, and for
        a ``quantity`` scaled with the checked loss (s for ∇W and ∇b, s/B for your φ)."""
        options = self.config.check
        atol = judging_atol(
            options.absolute_tolerance,
            self.engine.sample_losses,
            eps=options.step,
            method=self.method.name,
        )
        return atol if quantity is None else atol * self.result.scale.factor(quantity)

    def _label(self, target: Target) -> str:
        symbol = quantity_symbol(target.quantity, target.layer)
        return f"{symbol} · Eq. {target.equation(self.network.depth)}"

    def _withheld(self, target: Target) -> str | None:
        """Why a row is not checked (:func:`.analytic_side.withheld`); None when it is."""
        return withheld(target, self.analytic(target), self.user_code, self.forward)

    def analytic(self, target: Target) -> Array | None:
        """The analytic tensor of a target; None for φ when the user's backward gives none."""
        source = {"phi": self.gradients.phis, "W": self.gradients.dW, "b": self.gradients.db}
        tensors = source[target.quantity]
        return None if tensors is None else tensors[target.layer - 1]

    def _sources(self, target: Target) -> tuple[str, ...]:
        code, depth = self.user_code, self.network.depth
        return () if code is None else code.sources(target.quantity, target.layer, depth)

    def _check_target(
        self, target: Target, pool: Executor, progress: ProgressCallback | None
    ) -> tuple[QuantityCheck, Array]:
        """One row of the report, and the numeric tensor (NaN where nothing was computed)."""
        options = self.config.check
        shape = self.engine.shape(target)
        analytic = self.analytic(target)
        numeric_full = np.full(shape, np.nan)
        why = self._withheld(target)
        if analytic is None or why is not None:
            return skipped_row(target, self.network.depth, shape, why or ""), numeric_full
        note = ""
        if options.mode == "directions":
            row = check_directions(
                self.surface,
                self.method,
                target,
                analytic,
                count=options.directions or 1,
                step=options.step,
                rtol=options.relative_tolerance,
                atol=self.judging_atol(target.quantity),
                seed=self.config.seed,
                progress=progress,
                label=self._label(target),
            )
            if row.passed:
                row = dataclasses.replace(
                    row, sources=self._sources(target), term=self._term(target)
                )
                return row, numeric_full
            note = (
                f"{row.comparison.failed} of {row.comparison.checked} random directions "
                "disagreed; checked element by element."
            )
        size = int(np.prod(shape))
        count = options.sample if options.mode == "sample" else None
        elements = sample_elements(size, count, seed=self.config.seed, target=target)
        row, numeric = self._element_row(target, analytic, elements, pool, progress)
        numeric_full.reshape(-1)[elements] = numeric
        note = " ".join(filter(None, (note, row.note)))
        return dataclasses.replace(row, note=note, term=self._term(target)), numeric_full

    def _term(self, target: Target) -> str:
        """The penalty's gradient in the row's label ("2λW"), for ∇W under regularization."""
        regularization = self.config.regularization if target.quantity == "W" else None
        return "" if regularization is None else regularization.penalty.gradient_term

    def _element_row(
        self,
        target: Target,
        analytic: Array,
        elements: Array,
        pool: Executor,
        progress: ProgressCallback | None,
    ) -> tuple[QuantityCheck, Array]:
        """The row of a tensor checked element by element, and the elements' numeric values."""
        options = self.config.check
        shape = analytic.shape
        estimates = estimate_elements(
            *(self.surface, self.method, target, elements),
            step=options.step,
            pool=pool,
            progress=progress,
            label=self._label(target),
        )
        analytic_checked = analytic.reshape(-1)[elements]
        if self.second_opinion:
            estimates = self._second_opinion(target, elements, analytic_checked, estimates, pool)
        verdicts = self._judge_kinks(target, elements, analytic_checked, estimates)
        judged, exclude = verdicts.values, (verdicts.unjudged if verdicts.count else None)
        unresolved, why = self._no_verdict(analytic_checked, verdicts)
        comparison = compare(
            analytic_checked,
            judged,
            rtol=options.relative_tolerance,
            atol=self.judging_atol(target.quantity),
            shape=shape,
            indices=elements,
            exclude=exclude,
        )
        failed_in_full = not comparison.passed and options.mode != "sample"
        found = self._hint(target, analytic, judged, exclude) if failed_in_full else None
        row = QuantityCheck(
            layer=target.layer,
            quantity=target.quantity,
            equation=target.equation(self.network.depth),
            comparison=comparison,
            mode="sample" if options.mode == "sample" else "full",
            kinks=int(np.count_nonzero(estimates.kinks)),
            kink_indices=listed_kinks(elements[estimates.kinks], shape),
            dead=int(np.count_nonzero((analytic_checked == 0) & (estimates.values == 0))),
            error_estimate=None
            if estimates.error is None
            else float(np.max(estimates.error, initial=0.0)),
            hint=found.sentence if found is not None else None,
            factor=found.factor if found is not None else None,
            element_errors=error_map(shape, elements, analytic_checked, judged, exclude),
            sources=self._sources(target),
            unresolved=unresolved,
            unjudged=verdicts.count,
            note=why,
        )
        return row, estimates.values

    def _second_opinion(
        self,
        target: Target,
        elements: Array,
        analytic: Array,
        estimates: ElementEstimates,
        pool: Executor,
    ) -> ElementEstimates:
        """Elements that disagree, estimated again (:func:`.elements.second_opinion`)."""
        options = self.config.check
        return second_opinion(
            *(self.surface, self.method, target, elements, analytic, estimates),
            step=options.step,
            dtype=self.config.dtype,
            rtol=options.relative_tolerance,
            atol=self.judging_atol(target.quantity),
            pool=pool,
        )

    def _no_verdict(self, analytic: Array, verdicts: KinkVerdicts) -> tuple[str, str]:
        """Why the row cannot be judged, if so (:func:`.rows.no_verdict`)."""
        return no_verdict(
            losses=self.engine.sample_losses,
            numeric=verdicts.values[~verdicts.unjudged],
            analytic=analytic,
            unjudged=verdicts.count,
            fail_on_kinks=self.config.check.kinks == "fail",
        )

    def _judge_kinks(
        self, target: Target, elements: Array, analytic: Array, estimates: ElementEstimates
    ) -> KinkVerdicts:
        """The values to judge the elements by, kinks judged again one-sidedly (:mod:`.kinks`).

        Kinks are judged in the engine's loss (mean_s L_s): the checked loss's values are mapped
        there and back, (value − ∂R) / s, which is exact for the quadratic R.
        """
        step = self.config.check.step
        factor = self.result.scale.factor(target.quantity)
        offset = self.surface.penalty_slopes(target, elements, step, self.method)
        ours = dataclasses.replace(estimates, values=(estimates.values - offset) / factor)
        verdicts = judge_kinks(
            self.config.check.kinks,
            self.engine,
            target,
            elements,
            (analytic - offset) / factor,
            ours,
            method=self.method,
            step=step,
            dtype=self.config.dtype,
            convention=kink_convention(self.analytic_side, self.network, target.layer),
            rtol=self.config.check.relative_tolerance,
            atol=self.judging_atol(),
        )
        return KinkVerdicts(
            verdicts.values * factor + offset, verdicts.unjudged, verdicts.atol * factor
        )

    def _hint(
        self, target: Target, analytic: Array, judged: Array, exclude: Array | None
    ) -> Hint | None:
        """What the failure of a fully checked tensor looks like (:func:`.row_hint`)."""
        return row_hint(
            analytic,
            judged,
            exclude,
            declared=self.declared,
            weights=self.network.W(target.layer) if target.quantity == "W" else None,
            pre_activation=self.engine.trace.z(target.layer) if target.quantity == "phi" else None,
            quantity=target.quantity,
            layer=target.layer,
            rtol=self.config.check.relative_tolerance,
            atol=self.judging_atol(target.quantity),
        )
