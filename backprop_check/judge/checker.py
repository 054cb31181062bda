"""The public entry point: build the network a config describes, check Equations 1–4."""

from __future__ import annotations

import copy
import dataclasses
import os
import platform
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from ..core.backprop import SPECIAL_CASES, Gradients, backward
from ..core.network import Network, Trace, init_network, random_batch
from ..core.notation import quantity_symbol
from ..numeric.engine import DEFAULT_MAX_MEMORY, PerturbationEngine
from ..numeric.finite_differences import METHODS, Estimate
from ..numeric.perturbation import QUANTITIES, Target
from ..numeric.precision import judging_atol, precision_warnings
from ..report.data import CheckReport, LayerReport, ProgressEvent, QuantityCheck
from ..spec.config import Config, load_config
from .compare import Comparison, compare, element_errors
from .diagnosis import diagnose
from .hints import hint
from .hooks import UserCode, load_user_code

__all__ = [
    "DEFAULT_JOBS",
    "Checker",
    "ProgressEvent",
    "assert_gradients_match",
    "build_problem",
    "check",
    "run_check",
]

Array = np.ndarray

DEFAULT_JOBS = max(1, min(os.cpu_count() or 1, 4))
# Elements × samples handled per task: big enough to amortise numpy's per-call cost, small
# enough for the temporaries to stay in cache and for the tasks to balance across threads.
_BLOCK = 1 << 14
# Elements probed per tensor when estimating how long a full check takes.
_PROBE = 256
# Kink positions listed per tensor in the report (all are counted).
_LISTED_KINKS = 100
# Steps, as fractions of eps, of the one-sided differences that bracket a kink.
_BRACKET_SCALES = (1.0, 0.1, 0.01)


ProgressCallback = Callable[[ProgressEvent], None]


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

    ``impl`` is a Python file of your own equations (see :mod:`backprop_check.hooks`). Keyword
    overrides are those of the command line: eps, rtol, atol, seed, batch_size, method, dtype,
    kinks, sample, directions.
    """
    if not isinstance(config, Config):
        config = load_config(config)
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


def run_check(config: Config) -> CheckReport:
    """Check a validated config as it stands."""
    return Checker(config).run()


def build_problem(config: Config) -> tuple[Network, Array, Array]:
    """The network and the batch (x, y) a config describes; the same seed gives the same numbers.

    A ``data:`` file supplies the batch (its first ``batch_size`` rows) and, when it has them,
    the parameters; everything else is drawn from the seed.
    """
    rng = np.random.default_rng(config.seed)
    dtype = np.dtype(config.dtype)
    network = init_network(
        input_size=config.input_size,
        units=[layer.units for layer in config.layers],
        activations=[config.activation(layer.activation) for layer in config.layers],
        loss=config.loss_function(),
        init=config.init,
        rng=rng,
        dtype=dtype,
    )
    data = config.data
    if data is None:
        x, y = random_batch(
            batch_size=config.batch_size,
            input_size=config.input_size,
            output_size=config.layers[-1].units,
            loss_name=config.loss,
            rng=rng,
            dtype=dtype,
        )
        return network, x, y
    if data.weights is not None and data.biases is not None:
        network = dataclasses.replace(
            network,
            weights=tuple(w.astype(dtype) for w in data.weights),
            biases=tuple(b.astype(dtype) for b in data.biases),
        )
    rows = slice(0, config.batch_size)
    return network, data.x[rows].astype(dtype), data.y[rows].astype(dtype)


@dataclass(frozen=True)
class _Numeric:
    """Finite-difference results for some elements (or directions) of one tensor."""

    values: Array
    kinks: Array
    error: Array | None


class Checker:
    """A network and batch built from a config, its analytic gradients, ready to be checked."""

    def __init__(
        self,
        config: Config,
        *,
        max_memory: int = DEFAULT_MAX_MEMORY,
        jobs: int = DEFAULT_JOBS,
        user_code: UserCode | None = None,
        analytic: Callable[[Network, Trace, Array], Gradients] | None = None,
    ) -> None:
        _guard_memory(config, max_memory)
        self.config = config
        self.jobs = max(1, jobs)
        self.method = METHODS[config.check.method]
        self.user_code = user_code
        self._analytic_side = analytic
        self.network, self.x, self.y = build_problem(config)
        self.engine = PerturbationEngine(
            self.network, self.x, self.y, max_memory=max(1, max_memory // self.jobs)
        )
        # Overflow or 0·∞ in a saturated network shows up as non-finite rows in the report,
        # with a precision warning; numpy's own warnings would only interrupt it.
        with np.errstate(all="ignore"):
            self.gradients = self._backward()

    def _backward(self) -> Gradients:
        """The analytic side: the built-in Equations 1–4, or the user's replacements."""
        network, trace = self.network, self.engine.trace
        if self._analytic_side is not None:
            return self._analytic_side(network, trace, self.y)
        if self.user_code is None:
            return backward(network, trace, self.y)
        if "backward" in self.user_code.hooks:
            return self.user_code.backward(network.weights, network.biases, self.x, self.y)
        return backward(network, trace, self.y, self.user_code.steps())

    def with_step(self, eps: float) -> Checker:
        """The same network, batch and caches, checked with another finite-difference step."""
        twin = copy.copy(self)
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
        total = 0.0
        for target in self.targets:
            size = int(np.prod(self.engine.shape(target)))
            probe = np.arange(min(size, _PROBE))
            # The first call also builds per-layer caches; time the second.
            self.engine.loss_changes(target, self.config.check.step, probe[:1])
            started = time.perf_counter()
            self.engine.loss_changes(target, self.config.check.step, probe)
            per_element = (time.perf_counter() - started) / probe.size
            total += per_element * size * self.method.evaluations
        return total / min(self.jobs, 2)

    # ------------------------------------------------------------------ the check

    def run(self, *, progress: ProgressCallback | None = None) -> CheckReport:
        """Compare analytic and numerical gradients of every layer and quantity."""
        with np.errstate(all="ignore"):
            return self._run(progress)

    def _run(self, progress: ProgressCallback | None) -> CheckReport:
        config, options = self.config, self.config.check
        numeric_arrays: dict[Target, Array] = {}
        layers = []
        # Rows as they finish, so an interrupted run can still say what it had checked.
        self.completed: list[QuantityCheck] = []
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for j, spec in enumerate(config.layers, start=1):
                checks = []
                for quantity in QUANTITIES:
                    target = Target(layer=j, quantity=quantity)
                    row, numeric_arrays[target] = self._check_target(target, pool, progress)
                    checks.append(row)
                    self.completed.append(row)
                layers.append(
                    LayerReport(
                        layer=j, units=spec.units, activation=spec.activation, checks=tuple(checks)
                    )
                )
        special = SPECIAL_CASES.get((config.layers[-1].activation, config.loss))
        if self._analytic_side is not None:
            special = None
        elif self.user_code is not None and set(self.user_code.names) & {
            "phi_output",
            "loss_gradient",
            "activation_derivative",
            "backward",
        }:
            special = None  # the user's code, not the seed's special case, produced φ^J
        return CheckReport(
            config=config.source,
            input_size=config.input_size,
            loss=config.loss,
            loss_value=float(np.mean(self.engine.sample_losses)),
            method=self.method.name,
            eps=options.step,
            rtol=options.relative_tolerance,
            atol=options.absolute_tolerance,
            seed=config.seed,
            batch_size=config.batch_size,
            layers=tuple(layers),
            diagnosis=diagnose(
                layers, loss=config.loss, output_special_case=special.formula if special else None
            ),
            mode=options.mode,
            mode_count=options.sample if options.mode == "sample" else options.directions,
            dtype=config.dtype,
            kink_policy=options.kinks,
            config_sha256=config.sha256,
            data_sha256=config.data.sha256 if config.data is not None else None,
            versions=_versions(),
            impl=str(self.user_code.path) if self.user_code is not None else None,
            warnings=_unresolved(layers, self._judging_atol())
            + precision_warnings(
                self.network,
                self.engine.trace,
                self.engine.sample_losses,
                [
                    (t.layer, t.quantity, analytic)
                    for t in self.targets
                    if (analytic := self._analytic(t)) is not None
                ],
                eps=options.step,
                atol=options.absolute_tolerance,
                method=self.method.name,
            ),
            arrays=self._arrays(numeric_arrays),
        )

    def _judging_atol(self) -> float:
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

    def _analytic(self, target: Target) -> Array | None:
        source = {"phi": self.gradients.phis, "W": self.gradients.dW, "b": self.gradients.db}
        tensors = source[target.quantity]
        return None if tensors is None else tensors[target.layer - 1]

    def _sources(self, target: Target) -> tuple[str, ...]:
        if self.user_code is None:
            return ()
        return self.user_code.sources(target.quantity, target.layer, self.network.depth)

    def _check_target(
        self, target: Target, pool: ThreadPoolExecutor, progress: ProgressCallback | None
    ) -> tuple[QuantityCheck, Array]:
        """One row of the report, and the numeric tensor (NaN where nothing was computed)."""
        options = self.config.check
        shape = self.engine.shape(target)
        analytic = self._analytic(target)
        equation = target.equation(self.network.depth)
        numeric_full = np.full(shape, np.nan)
        sources = self._sources(target)
        if analytic is None:
            return _skipped(target, equation, shape, self.user_code), numeric_full
        note = ""
        if options.mode == "directions":
            row = self._check_directions(target, equation, progress)
            if row.passed:
                return dataclasses.replace(row, sources=sources), numeric_full
            note = (
                f"{row.comparison.failed} of {row.comparison.checked} random directions "
                "disagreed; checked element by element."
            )
        size = int(np.prod(shape))
        elements = (
            self._sample(target, size, options.sample)
            if options.mode == "sample"
            else np.arange(size)
        )
        numeric = self._numeric_elements(target, elements, pool, progress)
        numeric_full.reshape(-1)[elements] = numeric.values
        analytic_checked = analytic.reshape(-1)[elements]
        judged, exclude = self._judge_kinks(target, elements, analytic_checked, numeric)
        comparison = compare(
            analytic_checked,
            judged,
            rtol=options.relative_tolerance,
            atol=self._judging_atol(),
            shape=shape,
            indices=elements,
            exclude=exclude,
        )
        kink_positions = elements[numeric.kinks][:_LISTED_KINKS]
        row = QuantityCheck(
            layer=target.layer,
            quantity=target.quantity,
            equation=equation,
            comparison=comparison,
            mode="sample" if options.mode == "sample" else "full",
            kinks=int(np.count_nonzero(numeric.kinks)),
            kink_indices=tuple(
                tuple(int(i) for i in np.unravel_index(int(p), shape)) for p in kink_positions
            ),
            dead=int(np.count_nonzero((analytic_checked == 0) & (numeric.values == 0))),
            error_estimate=None
            if numeric.error is None
            else float(np.max(numeric.error, initial=0.0)),
            note=note,
            hint=None
            if comparison.passed or options.mode == "sample"
            else self._hint(target, analytic, judged, exclude),
            element_errors=None
            if comparison.passed
            else _error_map(shape, elements, analytic_checked, judged, exclude),
            sources=sources,
        )
        return row, numeric_full

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
            atol=self._judging_atol(),
            pre_activation=self.engine.trace.z(target.layer) if target.quantity == "phi" else None,
        )

    def _judge_kinks(
        self, target: Target, elements: Array, analytic: Array, numeric: _Numeric
    ) -> tuple[Array, Array | None]:
        """The numeric values to judge, and which elements to leave unjudged, by kink policy.

        At a kink the central difference averages two slopes, so it proves nothing: ``report``
        leaves kinks out, ``fail`` judges them anyway, ``bracket`` passes a kink when the analytic
        value lies between the two one-sided differences (a subgradient) by judging it against
        the nearest point of that interval.
        """
        policy = self.config.check.kinks
        if policy == "report":
            return numeric.values, numeric.kinks
        if policy == "fail" or not numeric.kinks.any():
            return numeric.values, None
        kinked = elements[numeric.kinks]

        def change(h: float) -> Array:
            return self.engine.loss_changes(target, h, kinked).changes.real

        # Second-order one-sided differences, since a first-order one misses the analytic value at
        # an end of the interval by O(ε); at three scales, since a W or b element moves many
        # samples and another sample's kink may lie between 0 and ε.
        # Richardson's larger step would straddle more kinks; no bracket step exceeds central's.
        base = min(self.config.check.step, METHODS["central"].defaults(self.config.dtype).eps)
        slopes = []
        for scale in _BRACKET_SCALES:
            h = base * scale
            slopes.append((4 * change(h) - change(2 * h)) / (2 * h))
            slopes.append((change(-2 * h) - 4 * change(-h)) / (2 * h))
        judged = numeric.values.copy()
        judged[numeric.kinks] = np.clip(
            analytic[numeric.kinks], np.min(slopes, axis=0), np.max(slopes, axis=0)
        )
        return judged, None

    def _numeric_elements(
        self,
        target: Target,
        elements: Array,
        pool: ThreadPoolExecutor,
        progress: ProgressCallback | None,
    ) -> _Numeric:
        samples_per_element = 1 if target.quantity == "phi" else self.engine.batch_size
        size = max(1, min(self.engine.chunk_size(target), _BLOCK // samples_per_element))
        chunks = [elements[start : start + size] for start in range(0, elements.size, size)]
        label = self._label(target)
        if progress is not None:
            progress(ProgressEvent(label=label, completed=0, total=elements.size))
        results = []
        done = 0
        for chunk, result in zip(
            chunks, pool.map(lambda c: self._estimate(target, c), chunks), strict=True
        ):
            results.append(result)
            done += chunk.size
            if progress is not None:
                progress(ProgressEvent(label=label, completed=done, total=elements.size))
        if not results:
            return _Numeric(np.zeros(0), np.zeros(0, dtype=bool), None)
        errors = [r.error for r in results]
        return _Numeric(
            values=np.concatenate([r.values for r in results]),
            kinks=np.concatenate([r.kinks for r in results]),
            error=None if errors[0] is None else np.concatenate(errors),
        )

    def _estimate(self, target: Target, elements: Array) -> _Numeric:
        kinks = np.zeros(elements.size, dtype=bool)

        def evaluate(step: complex) -> Array:
            changes = self.engine.loss_changes(target, step, elements)
            kinks[changes.kinks] = True
            return changes.changes

        estimate: Estimate = self.method.estimate(evaluate, self.config.check.step)
        return _Numeric(values=np.real(estimate.derivative), kinks=kinks, error=estimate.error)

    def _sample(self, target: Target, size: int, count: int | None) -> Array:
        """``count`` elements spread evenly over the tensor: one drawn from each of equal strata."""
        if count is None or count >= size:
            return np.arange(size)
        rng = np.random.default_rng(
            [self.config.seed, target.layer, QUANTITIES.index(target.quantity)]
        )
        edges = np.linspace(0, size, count + 1).astype(np.intp)
        return edges[:-1] + (rng.random(count) * (edges[1:] - edges[:-1])).astype(np.intp)

    def _check_directions(
        self, target: Target, equation: int, progress: ProgressCallback | None
    ) -> QuantityCheck:
        """Directional derivatives along random unit directions against ⟨analytic, v⟩."""
        options = self.config.check
        count = options.directions or 1
        shape = self.engine.shape(target)
        rng = np.random.default_rng(
            [self.config.seed, target.layer, QUANTITIES.index(target.quantity), 1]
        )
        directions = rng.standard_normal((count, *shape))
        directions /= np.linalg.norm(directions.reshape(count, -1), axis=1).reshape(
            count, *[1] * len(shape)
        )
        analytic = np.tensordot(directions, self._analytic(target), axes=len(shape))
        estimate = self.method.estimate(
            lambda step: self.engine.direction_changes(target, step, directions), options.step
        )
        if progress is not None:
            progress(ProgressEvent(label=self._label(target), completed=count, total=count))
        comparison = compare(
            analytic,
            np.real(estimate.derivative),
            rtol=options.relative_tolerance,
            atol=self._judging_atol(),
        )
        return QuantityCheck(
            layer=target.layer,
            quantity=target.quantity,
            equation=equation,
            comparison=comparison,
            mode="directions",
            tensor_shape=shape,
            error_estimate=None if estimate.error is None else float(np.max(estimate.error)),
            note=f"{count} random direction{'s' if count > 1 else ''}; the index is a direction's.",
        )

    def _arrays(self, numeric: Mapping[Target, Array]) -> dict[str, Array]:
        network = self.network
        arrays = {"x": self.x, "y": self.y}
        for j in range(1, network.depth + 1):
            arrays[f"W{j}"] = network.W(j)
            arrays[f"b{j}"] = network.b(j)
        for j in range(1, network.depth + 1):
            arrays[f"dW{j}"] = self.gradients.dW[j - 1]
            arrays[f"db{j}"] = self.gradients.db[j - 1]
            arrays[f"nW{j}"] = numeric[Target(j, "W")]
            arrays[f"nb{j}"] = numeric[Target(j, "b")]
        return arrays


def _versions() -> dict[str, str]:
    """What produced the numbers: enough to reproduce a run together with the config's hash."""
    from .._version import __version__

    return {"bpcheck": __version__, "numpy": np.__version__, "python": platform.python_version()}


def _error_map(
    shape: tuple[int, ...], elements: Array, analytic: Array, numeric: Array, exclude: Array | None
) -> Array:
    """Relative error of every checked element in the tensor's shape; NaN where not judged."""
    errors = np.full(int(np.prod(shape)), np.nan)
    relative = element_errors(analytic, numeric)[1]
    if exclude is not None:
        relative = np.where(exclude, np.nan, relative)
    errors[elements] = relative
    return errors.reshape(shape)


def _skipped(
    target: Target, equation: int, shape: tuple[int, ...], user_code: UserCode | None
) -> QuantityCheck:
    """A row that cannot be checked: the user's backward() gives no φ to compare."""
    empty = Comparison(
        shape=shape,
        checked=0,
        max_abs_error=0.0,
        max_rel_error=0.0,
        rel_norm_error=0.0,
        worst_index=(),
        worst_analytic=0.0,
        worst_numeric=0.0,
        failed=0,
    )
    where = user_code.path.name if user_code is not None else "your code"
    return QuantityCheck(
        layer=target.layer,
        quantity=target.quantity,
        equation=equation,
        comparison=empty,
        mode="skipped",
        note=f"not checked: backward() in {where} returns ∇W and ∇b only, no φ.",
    )


def required_bytes(config: Config) -> int:
    """Memory for the network's own arrays: parameters, both gradients, activations, directions.

    The batched finite differences come on top, chunked within the --max-memory budget.
    """
    sizes = [config.input_size, *(layer.units for layer in config.layers)]
    parameters = sum((fan_in + 1) * fan_out for fan_in, fan_out in pairwise(sizes))
    activations = config.batch_size * sum(sizes)
    # Weights, analytic and numeric gradients; z, a and φ, plus the engine's transposed copies.
    count = 3 * parameters + 6 * activations
    if config.check.directions:
        largest = max(fan_in * fan_out for fan_in, fan_out in pairwise(sizes))
        count += 2 * config.check.directions * largest
    return count * np.dtype(config.dtype).itemsize


def _guard_memory(config: Config, max_memory: int) -> None:
    """Refuse, before allocating anything, a network whose arrays alone exceed the budget."""
    needed = required_bytes(config)
    if needed > max_memory:
        sizes = [config.input_size, *(layer.units for layer in config.layers)]
        widest = max(range(len(config.layers)), key=lambda i: sizes[i] * sizes[i + 1])
        raise config.error(
            f"layers[{widest}].units",
            f"this network needs about {_size(needed)} for its parameters, gradients and "
            f"activations, more than the memory budget of {_size(max_memory)} (--max-memory). "
            "Use fewer units or a smaller batch, or raise --max-memory if the machine has room.",
        )


def _size(count: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count // scale:,} {unit}" if count >= 2**70 else f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def _unresolved(layers: list[LayerReport], atol: float) -> tuple[str, ...]:
    """Failing rows whose method says its own estimate is not resolved (Richardson's estimate)."""
    names = [
        quantity_symbol(row.quantity, row.layer)
        for layer in layers
        for row in layer.checks
        if not row.passed and row.error_estimate is not None and row.error_estimate > atol
    ]
    if not names:
        return ()
    return (
        f"{', '.join(names)}: Richardson's own error estimate is above atol there, so these "
        "failures may be the step's, not the gradient's; try a smaller --eps or bpcheck sweep.",
    )
