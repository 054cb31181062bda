"""The verdict property run: random networks, correct gradients and corruptions of them.

Shared by ``tests/test_verdicts.py`` (a few networks per method × dtype, in the suite) and
``benchmarks/verdicts.py`` (500 and more, on demand). Network ``seed`` is drawn from a numpy RNG
seeded with ``seed`` alone, so a count is reproducible and a failure is one seed to re-run.

Each network is checked with its method and dtype (``seed`` picks the cell, so every method ×
dtype gets the same share): correct gradients must pass (the built-in ones, and a user's
ReLU′(0) = 1 given through ``Steps`` where there is a ReLU), and a corruption by the relative
size the method and dtype resolve (``Tolerances.resolves``) must fail wherever it is resolvable:
larger than twice the absolute tolerance the check judges with. Corruptions: one element and a
whole tensor of ∇W, ∇b and φ, and σ′ of one layer.

Families (``FAMILIES``): ``plain`` networks as a config draws them; ``one_zero``, one
pre-activation of one sample exactly on a ReLU's 0; ``several``, one unit on 0 in several samples
(copied rows, or a unit without weights); ``blank``, blank input rows and zero first-layer biases
(every unit of those samples on 0, stacked over layers when later biases are 0 too); ``integer``,
inputs in {−1, 0, 1} and parameters in multiples of ½ (many exact zeros); ``saturated``, output
logits scaled to |z| of tens, softmax + binary cross-entropy half of the time.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from backprop_check.core.backprop import Gradients, Steps, backward, grad_b, grad_w
from backprop_check.judge.checker import Checker
from backprop_check.judge.elements import estimate_elements
from backprop_check.judge.kinks import judge_kinks, kink_convention
from backprop_check.numeric.finite_differences import DTYPES, METHODS
from backprop_check.numeric.targets import Target
from backprop_check.report.data import CheckReport
from backprop_check.spec.build import build_problem
from backprop_check.spec.config import Config, load_config
from backprop_check.spec.data import Dataset

__all__ = ["CELLS", "FAMILIES", "Outcome", "draw_network", "judge_network", "tally"]

Array = np.ndarray
CELLS: tuple[tuple[str, str], ...] = tuple((m, d) for m in METHODS for d in DTYPES)
FAMILIES = ("plain", "one_zero", "several", "blank", "integer", "saturated")
_KINK_FAMILIES = ("one_zero", "several", "blank", "integer")
_HIDDEN = ("relu", "sigmoid", "tanh", "linear")
_PAIRINGS = (
    ("relu", "mse"),
    ("sigmoid", "mse"),
    ("tanh", "mse"),
    ("linear", "mse"),
    ("softmax", "mse"),
    ("sigmoid", "binary_crossentropy"),
    ("softmax", "binary_crossentropy"),
    ("sigmoid", "categorical_crossentropy"),
    ("softmax", "categorical_crossentropy"),
)
CORRUPTIONS = ("W one", "W all", "b one", "b all", "phi one", "phi all", "sigma'")
# A corruption is resolvable where it moves some element by more than this many judging atols.
_RESOLVABLE = 2.0


@dataclass(frozen=True)
class Case:
    """One random network: its config, with the batch and parameters as data, and its family."""

    seed: int
    family: str
    config: Config

    @property
    def method(self) -> str:
        return self.config.check.method

    @property
    def dtype(self) -> str:
        return self.config.dtype

    @property
    def has_relu(self) -> bool:
        return any(layer.activation == "relu" for layer in self.config.layers[:-1])


@dataclass
class Outcome:
    """What one network's checks gave: counts, and a line per false alarm or silent pass."""

    case: Case
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- networks


def draw_network(seed: int) -> Case:
    """Network ``seed``: its cell is seed mod 10, everything else drawn from the seed."""
    method, dtype = CELLS[seed % len(CELLS)]
    rng = np.random.default_rng(seed)
    family = FAMILIES[int(rng.integers(len(FAMILIES)))]
    depth = int(rng.integers(2 if family in _KINK_FAMILIES else 1, 5))
    hidden = [str(rng.choice(_HIDDEN)) for _ in range(depth - 1)]
    if family in _KINK_FAMILIES:
        hidden[0] = "relu"
    pairings = _PAIRINGS
    if family == "saturated":
        pairings = tuple(p for p in _PAIRINGS if p[0] in ("sigmoid", "softmax"))
        pairings = (("softmax", "binary_crossentropy"),) * len(pairings) + pairings
    output, loss = pairings[int(rng.integers(len(pairings)))]
    widths = [int(rng.integers(1, 11)) for _ in range(depth)]
    if output == "softmax":
        widths[-1] = max(2, widths[-1])
    config = load_config(
        {
            "input_size": int(rng.integers(1, 11)),
            "layers": [
                {"units": units, "activation": activation}
                for units, activation in zip(widths, [*hidden, output], strict=True)
            ],
            "loss": loss,
            "batch_size": int(rng.integers(1, 33)),
            "seed": int(rng.integers(2**31)),
            "init": str(rng.choice(("auto", "he", "xavier"))),
            "dtype": dtype,
            "check": {"method": method},
        }
    )
    network, x, y = build_problem(config)
    weights = [w.astype(np.float64) for w in network.weights]
    biases = [b.astype(np.float64) for b in network.biases]
    x = x.astype(np.float64)
    _SHAPERS[family](rng, config, weights, biases, x)
    data = Dataset(
        path=Path(f"<verdict network {seed}>"),
        x=x,
        y=y.astype(np.float64),
        weights=tuple(weights),
        biases=tuple(biases),
    )
    return Case(seed, family, dataclasses.replace(config, data=data))


def _relu_layers(config: Config) -> list[int]:
    return [j for j, layer in enumerate(config.layers[:-1], 1) if layer.activation == "relu"]


def _forward_z(config: Config, weights: list[Array], biases: list[Array], x: Array, j: int):
    """z^j as the checker will compute it: in the config's dtype, through the package's forward."""
    data = Dataset(Path("<probe>"), x, np.zeros((x.shape[0], 1)), tuple(weights), tuple(biases))
    network, x_typed, _ = build_problem(dataclasses.replace(config, data=data))
    return network.forward(x_typed).z(j)


def _put_on_zero(rng, config, weights, biases, x, *, sample: int | None = None) -> None:
    """Move b^j[i] so that z^j[s, i] is exactly 0 for one sample s (checked, else left as is)."""
    j = int(rng.choice(_relu_layers(config)))
    s = int(rng.integers(x.shape[0])) if sample is None else sample
    i = int(rng.integers(weights[j - 1].shape[0]))
    biases[j - 1][i] = 0.0
    # z without the bias is the dot product as the forward rounds it; minus that, z is 0.
    biases[j - 1][i] = -float(_forward_z(config, weights, biases, x, j)[s, i])
    if _forward_z(config, weights, biases, x, j)[s, i] != 0:
        biases[j - 1][i] = 0.0


def _one_zero(rng, config, weights, biases, x) -> None:
    _put_on_zero(rng, config, weights, biases, x)


def _several(rng, config, weights, biases, x) -> None:
    if rng.random() < 0.5 and x.shape[0] > 1:
        # Copies of one row: the same unit sits on 0 in each of them.
        s = int(rng.integers(x.shape[0]))
        copies = rng.choice(x.shape[0], size=int(rng.integers(1, min(4, x.shape[0]) + 1)))
        x[copies] = x[s]
        _put_on_zero(rng, config, weights, biases, x, sample=s)
    else:
        # A unit without weights or bias sits on 0 in every sample.
        i = int(rng.integers(weights[0].shape[0]))
        weights[0][i] = 0.0
        biases[0][i] = 0.0


def _blank(rng, config, weights, biases, x) -> None:
    rows = rng.choice(x.shape[0], size=int(rng.integers(1, min(3, x.shape[0]) + 1)), replace=False)
    x[rows] = 0.0
    biases[0][:] = 0.0
    if rng.random() < 0.5:
        for b in biases[1:-1]:
            b[:] = 0.0


def _integer(rng, config, weights, biases, x) -> None:
    x[:] = rng.integers(-1, 2, size=x.shape)
    for w in weights:
        w[:] = rng.integers(-3, 4, size=w.shape) / 2
    for b in biases:
        b[:] = rng.integers(-2, 3, size=b.shape) / 2


def _saturated(rng, config, weights, biases, x) -> None:
    largest = float(np.max(np.abs(_forward_z(config, weights, biases, x, len(weights)))))
    reach = rng.uniform(10, 60) if config.dtype == "float64" else rng.uniform(8, 30)
    factor = reach / max(largest, 1e-3)
    weights[-1] *= factor
    biases[-1] *= factor


_SHAPERS: dict[str, Callable[..., None]] = {
    "plain": lambda *args: None,
    "one_zero": _one_zero,
    "several": _several,
    "blank": _blank,
    "integer": _integer,
    "saturated": _saturated,
}


# --------------------------------------------------------------------------- analytic sides


def _relu_one(activation, z, *, layer):
    """A user's σ′ with ReLU′(0) = 1: the right-hand slope, as legitimate as the built-in 0."""
    return (z >= 0).astype(z.dtype) if activation.name == "relu" else activation.derivative(z)


RELU_ONE = Steps(activation_derivative=_relu_one)


def _sigma_prime(base: Steps) -> Callable[..., Array]:
    if base.activation_derivative is not None:
        return base.activation_derivative
    return lambda activation, z, *, layer: activation.derivative(z)


def _factors(shape: tuple[int, ...], index: int | None, r: float, dtype) -> Array:
    """1 + r at ``index`` (a flat index), or everywhere when it is None; 1 elsewhere."""
    factors = np.ones(int(np.prod(shape)), dtype=dtype)
    if index is None:
        factors[:] = 1 + r
    else:
        factors[index] = 1 + r
    return factors.reshape(shape)


def _corrupted(base: Steps, kind: str, layer: int, index: int | None, r: float, ref: Checker):
    """The analytic side with one corruption: Steps where it can say so, else a whole backward."""
    quantity = kind.split()[0]
    dtype = ref.engine.trace.z(1).dtype
    if quantity == "W":
        factors = _factors(ref.network.W(layer).shape, index, r, dtype)
        chosen = layer
        return dataclasses.replace(
            base,
            grad_w=lambda phi, a, *, layer: grad_w(phi, a) * (factors if layer == chosen else 1),
        )
    if quantity == "b":
        factors = _factors(ref.network.b(layer).shape, index, r, dtype)
        chosen = layer
        return dataclasses.replace(
            base, grad_b=lambda phi, *, layer: grad_b(phi) * (factors if layer == chosen else 1)
        )
    if quantity == "phi":
        factors = _factors(ref.engine.trace.z(layer).shape, index, r, dtype)

        def whole(network, trace, y) -> Gradients:
            gradients = backward(network, trace, y, base)
            phis = list(gradients.phis)
            phis[layer - 1] = phis[layer - 1] * factors
            return dataclasses.replace(gradients, phis=tuple(phis))

        return whole
    derivative = _sigma_prime(base)
    scale = dtype.type(1 + r)
    chosen = layer
    return dataclasses.replace(
        base,
        activation_derivative=lambda act, z, *, layer: (
            derivative(act, z, layer=layer) * (scale if layer == chosen else 1)
        ),
    )


# --------------------------------------------------------------------------- judging


def _draw_corruption(rng, kind: str, ref: Checker) -> tuple[Target, int | None] | None:
    """The tensor a corruption changes (φ^j for σ′ of layer j) and its flat index (None: all)."""
    depth = ref.network.depth
    quantity = kind.split()[0]
    if quantity == "sigma'":
        layers = [j for j in range(1, depth + 1) if ref.network.activation(j).derivative]
        return None if not layers else (Target(int(rng.choice(layers)), "phi"), None)
    target = Target(int(rng.integers(1, depth + 1)), quantity)
    if kind.endswith("all"):
        return target, None
    return target, int(rng.integers(ref.analytic(target).size))


def _resolvable(checker: Checker, target: Target, r: float, correct: Array) -> tuple[Array, Array]:
    """Per element of the target: whether the corrupted ``checker`` can resolve the relative
    error r there, and whether it leaves the element unjudged (on kinks that no one-sided
    difference settles for the value it is given: said, never passed).

    Resolvable: the error exceeds twice the absolute tolerance the element is judged with
    (atol raised to the round-off floor, and to the one-sided floor on kinks), and r is at
    least what the method resolves; kinked elements under the complex step are judged by real
    one-sided differences, which resolve what central differences do.
    """
    analytic = checker.analytic(target).reshape(-1)
    elements = np.arange(analytic.size)
    config = checker.config
    with np.errstate(all="ignore"), ThreadPoolExecutor(1) as pool:
        estimates = estimate_elements(
            checker.engine, checker.method, target, elements, step=config.check.step, pool=pool
        )
        verdicts = judge_kinks(
            config.check.kinks,
            checker.engine,
            target,
            elements,
            analytic,
            estimates,
            method=checker.method,
            step=config.check.step,
            dtype=config.dtype,
            convention=kink_convention(checker.analytic_side, checker.network, target.layer),
            rtol=config.check.relative_tolerance,
            atol=checker.judging_atol(),
        )
    resolves = np.full(analytic.size, checker.method.defaults(config.dtype).resolves)
    if checker.method.complex:
        central = METHODS["central"].defaults(config.dtype).resolves
        resolves[estimates.kinks] = max(central, resolves[0])
    large = np.abs(correct.reshape(-1).astype(np.float64)) * abs(r) > _RESOLVABLE * verdicts.atol
    return large & (abs(r) >= resolves) & ~verdicts.unjudged, verdicts.unjudged


def judge_network(case: Case) -> Outcome:
    """Every check of one network: correct sides must pass, resolvable corruptions must fail."""
    outcome = Outcome(case)
    counts = outcome.counts
    rng = np.random.default_rng([case.seed, 1])
    sides = {"built-in": Steps()}
    if case.has_relu:
        sides["ReLU'(0)=1"] = RELU_ONE
    references = {}
    for name, side in sides.items():
        ref = Checker(case.config, analytic=side)
        references[name] = ref
        report = ref.run()
        counts["correct checks"] += 1
        if not report.passed:
            counts["false alarms"] += 1
            outcome.problems.append(_describe(case, f"false alarm, {name}", report))
    sizes = [METHODS[case.method].defaults(case.dtype).resolves]
    if METHODS[case.method].complex:
        sizes.append(METHODS["central"].defaults(case.dtype).resolves)
    for kind in CORRUPTIONS:
        name = str(rng.choice(list(sides)))
        ref = references[name]
        drawn = _draw_corruption(rng, kind, ref)
        r = float(rng.choice(sizes)) * float(rng.choice((-1.0, 1.0)))
        counts["corruptions"] += 1
        if drawn is None:
            counts["not resolvable"] += 1
            continue
        target, index = drawn
        layer = target.layer
        checker = Checker(case.config, analytic=_corrupted(sides[name], kind, layer, index, r, ref))
        resolvable, unjudged = _resolvable(checker, target, r, ref.analytic(target))
        chosen = slice(None) if index is None else slice(index, index + 1)
        if not resolvable[chosen].any():
            counts["unjudged" if unjudged[chosen].any() else "not resolvable"] += 1
            continue
        report = checker.run()
        counts["resolvable"] += 1
        if report.passed:
            counts["silent passes"] += 1
            what = f"silent pass, {kind} of layer {layer}" + (
                "" if index is None else f" element {index}"
            )
            outcome.problems.append(_describe(case, f"{what}, r = {r:+.1e}, {name}", report))
    return outcome


def _describe(case: Case, what: str, report: CheckReport) -> str:
    rows = "; ".join(
        f"{c.quantity}{c.layer}: {c.comparison.failed}/{c.comparison.checked} failed, "
        f"worst {c.comparison.worst_analytic:.6g} vs {c.comparison.worst_numeric:.6g}"
        + (f", {c.unresolved}" if c.unresolved else "")
        for c in report.checks
        if not c.passed
    )
    return f"seed {case.seed} ({case.method}, {case.dtype}, {case.family}): {what}" + (
        f" — {rows}" if rows else ""
    )


def tally(outcomes: list[Outcome]) -> dict[tuple[str, str], Counter[str]]:
    """Counts per (method, dtype) cell, networks included."""
    cells: dict[tuple[str, str], Counter[str]] = {cell: Counter() for cell in CELLS}
    for outcome in outcomes:
        counts = cells[(outcome.case.method, outcome.case.dtype)]
        counts["networks"] += 1
        counts[f"family {outcome.case.family}"] += 1
        counts.update(outcome.counts)
    return cells
