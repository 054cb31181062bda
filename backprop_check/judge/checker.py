"""The public entry point: build the network a config describes, check Equations 1–4.

:class:`Checker` is a sequencer. For each layer and quantity it asks the analytic side for the
tensor, the finite differences (:mod:`.elements`, :mod:`.directions`) for their estimates of the
chosen elements (:mod:`.sampling`), settles the elements on kinks (:mod:`.kinks`), compares, and
hands the rows to the report with a diagnosis, hints and warnings (its cost: :mod:`.budget`).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.backprop import BUILT_IN, Gradients, Steps, backward
from ..core.network import Network, Trace
from ..core.notation import quantity_symbol
from ..numeric.engine import DEFAULT_MAX_MEMORY, PerturbationEngine
from ..numeric.finite_differences import METHODS
from ..numeric.precision import judging_atol
from ..numeric.targets import QUANTITIES, Target
from ..report.data import CheckReport, ProgressEvent, QuantityCheck
from ..spec.build import build_problem
from ..spec.config import Config, load_config
from .assembly import assemble_report
from .budget import DEFAULT_JOBS, estimate_seconds, guard_memory, thread_budget, usable_jobs
from .compare import compare
from .directions import check_directions
from .elements import ElementEstimates, estimate_elements, second_opinion
from .hints import hint
from .kinks import KinkVerdicts, judge_kinks, kink_convention, listed_kinks
from .rows import error_map, no_verdict, skipped_row
from .sampling import sample_elements
from .step import usable_step

if TYPE_CHECKING:
    from .hooks import UserCode

__all__ = [
    "DEFAULT_JOBS",
    "AnalyticSide",
    "CheckInterrupted",
    "Checker",
    "ProgressEvent",
    "assert_gradients_match",
    "check",
]

Array = np.ndarray
ProgressCallback = Callable[[ProgressEvent], None]
# The analytic side: built-in steps with some replaced, or a function giving every gradient.
AnalyticSide = Steps | Callable[[Network, Trace, Array], Gradients]


class CheckInterrupted(KeyboardInterrupt):
    """Ctrl-C during :meth:`Checker.run`: still a KeyboardInterrupt, with the rows done so far.

    ``completed``: the finished rows in the order checked; ``total``: the whole check's rows.
    """

    def __init__(self, completed: tuple[QuantityCheck, ...], total: int) -> None:
        super().__init__(f"interrupted after {len(completed)} of {total} checks")
        self.completed, self.total = completed, total


def check(
    config: Config | str | Path | Mapping[str, Any],
    *,
    impl: str | Path | UserCode | None = None,
    progress: ProgressCallback | None = None,
    max_memory: int = DEFAULT_MAX_MEMORY,
    jobs: int = DEFAULT_JOBS,
    **overrides: Any,
) -> CheckReport:
    """Check the gradients of the network ``config`` describes (a path, a mapping or a Config).

    ``impl`` is a Python file of your own equations (see :mod:`backprop_check.judge.hooks`).
    Keyword overrides are those of the command line: eps, rtol, atol, ``seed``, batch_size, method,
    dtype, kinks, sample, directions. Ctrl-C raises :class:`CheckInterrupted`.
    """
    if not isinstance(config, Config):
        config = load_config(config)
    from .hooks import load_user_code  # loading user code only where there is some

    user_code = load_user_code(impl) if isinstance(impl, (str, Path)) else impl
    checker = Checker(
        config.with_overrides(**overrides), max_memory=max_memory, jobs=jobs, user_code=user_code
    )
    return checker.run(progress=progress)


def assert_gradients_match(
    config: Config | str | Path | Mapping[str, Any],
    *,
    impl: str | Path | UserCode | None = None,
    **overrides: Any,
) -> CheckReport:
    """Check, and raise AssertionError with the tables as plain text when a gradient disagrees.

    For test suites: ``assert_gradients_match("configs/net.yaml", impl="my_backprop.py")``.
    """
    report = check(config, impl=impl, **overrides)
    if not report.passed:
        from ..report.formats.text import plain_text

        raise AssertionError(plain_text(report))
    return report


class Checker:
    """A network and batch built from a config, its analytic gradients, ready to be checked.

    ``analytic`` replaces the analytic side (selftest's mutants, tests); otherwise it is the
    user's code when given, else the built-in Equations 1–4.
    """

    def __init__(
        self,
        config: Config,
        *,
        max_memory: int = DEFAULT_MAX_MEMORY,
        jobs: int = DEFAULT_JOBS,
        user_code: UserCode | None = None,
        analytic: AnalyticSide | None = None,
    ) -> None:
        guard_memory(config, max_memory)
        self.config = config
        self.jobs = usable_jobs(jobs)
        self.method = METHODS[config.check.method]
        self.user_code = user_code
        if analytic is None:
            analytic = user_code.analytic() if user_code is not None else BUILT_IN
        self.analytic_side: AnalyticSide = analytic
        self.second_opinion = True  # off in with_step's twins
        # Overflow or 0·∞ in a saturated network shows up as unresolvable rows in the report,
        # with a precision warning; numpy's own warnings would only interrupt it.
        with np.errstate(all="ignore"):
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
            if isinstance(analytic, Steps):
                self.gradients = backward(self.network, self.engine.trace, self.y, analytic)
            else:
                self.gradients = analytic(self.network, self.engine.trace, self.y)

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
        budget = thread_budget(self.jobs, serial=self.config.check.mode == "directions")
        try:
            with budget, np.errstate(all="ignore"), ThreadPoolExecutor(self.jobs) as pool:
                for target in self.targets:
                    started = time.perf_counter()
                    row, numeric[target] = self._check_target(target, pool, progress)
                    seconds = time.perf_counter() - started
                    completed.append(dataclasses.replace(row, seconds=seconds))
        except KeyboardInterrupt:
            raise CheckInterrupted(tuple(completed), len(self.targets)) from None
        with np.errstate(all="ignore"):
            return assemble_report(self, completed, numeric)

    def judging_atol(self) -> float:
        """atol as elements are judged: raised to the round-off floor of a large loss."""
        options = self.config.check
        return judging_atol(
            options.absolute_tolerance,
            self.engine.sample_losses,
            eps=options.step,
            method=self.method.name,
        )

    def _label(self, target: Target) -> str:
        symbol = quantity_symbol(target.quantity, target.layer)
        return f"{symbol} · Eq. {target.equation(self.network.depth)}"

    def analytic(self, target: Target) -> Array | None:
        """The analytic tensor of a target; None for φ when the user's backward gives none."""
        source = {"phi": self.gradients.phis, "W": self.gradients.dW, "b": self.gradients.db}
        tensors = source[target.quantity]
        return None if tensors is None else tensors[target.layer - 1]

    def _sources(self, target: Target) -> tuple[str, ...]:
        if self.user_code is None:
            return ()
        return self.user_code.sources(target.quantity, target.layer, self.network.depth)

    def _check_target(
        self, target: Target, pool: Executor, progress: ProgressCallback | None
    ) -> tuple[QuantityCheck, Array]:
        """One row of the report, and the numeric tensor (NaN where nothing was computed)."""
        options = self.config.check
        shape = self.engine.shape(target)
        analytic = self.analytic(target)
        numeric_full = np.full(shape, np.nan)
        if analytic is None:
            where = self.user_code.path.name if self.user_code is not None else "your code"
            return skipped_row(target, self.network.depth, shape, where), numeric_full
        note = ""
        if options.mode == "directions":
            row = check_directions(
                self.engine,
                self.method,
                target,
                analytic,
                count=options.directions or 1,
                step=options.step,
                rtol=options.relative_tolerance,
                atol=self.judging_atol(),
                seed=self.config.seed,
                progress=progress,
                label=self._label(target),
            )
            if row.passed:
                return dataclasses.replace(row, sources=self._sources(target)), numeric_full
            note = (
                f"{row.comparison.failed} of {row.comparison.checked} random directions "
                "disagreed; checked element by element."
            )
        size = int(np.prod(shape))
        count = options.sample if options.mode == "sample" else None
        elements = sample_elements(size, count, seed=self.config.seed, target=target)
        row, numeric = self._element_row(target, analytic, elements, pool, progress)
        numeric_full.reshape(-1)[elements] = numeric
        return dataclasses.replace(row, note=" ".join(filter(None, (note, row.note)))), numeric_full

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
            self.engine,
            self.method,
            target,
            elements,
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
            atol=self.judging_atol(),
            shape=shape,
            indices=elements,
            exclude=exclude,
        )
        failed_in_full = not comparison.passed and options.mode != "sample"
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
            hint=self._hint(target, analytic, judged, exclude) if failed_in_full else None,
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
            *(self.engine, self.method, target, elements, analytic, estimates),
            step=options.step,
            dtype=self.config.dtype,
            rtol=options.relative_tolerance,
            atol=self.judging_atol(),
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
        """The values to judge the elements by, kinks judged again one-sidedly (:mod:`.kinks`)."""
        return judge_kinks(
            self.config.check.kinks,
            self.engine,
            target,
            elements,
            analytic,
            estimates,
            method=self.method,
            step=self.config.check.step,
            dtype=self.config.dtype,
            convention=kink_convention(self.analytic_side, self.network, target.layer),
            rtol=self.config.check.relative_tolerance,
            atol=self.judging_atol(),
        )

    def _hint(
        self, target: Target, analytic: Array, judged: Array, exclude: Array | None
    ) -> str | None:
        """What the failure of a fully checked tensor looks like, in one sentence."""
        numeric = judged.copy()
        if exclude is not None:
            # Unjudged kinks must not read as failures to the pattern matcher.
            numeric[exclude] = analytic.reshape(-1)[exclude]
        return hint(
            analytic.astype(np.float64),
            numeric.reshape(analytic.shape),
            quantity=target.quantity,
            layer=target.layer,
            batch_size=self.engine.batch_size,
            output_units=self.config.layers[-1].units,
            rtol=self.config.check.relative_tolerance,
            atol=self.judging_atol(),
            pre_activation=self.engine.trace.z(target.layer) if target.quantity == "phi" else None,
        )
