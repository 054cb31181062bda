"""Elements whose step crosses a kink (a ReLU at 0), given a verdict all the same.

At a kink the method's difference averages two slopes and proves nothing, so such elements are
judged again by one-sided differences that cross no kink. Each sample's share is taken on its own
(∂L/∂W^j[i,k] = Σ_s a^{j−1}_{s,k} ∂L_s/∂z^j_{s,i} / B, and b^j[i] the same without a), as the
slope of L_s along z^j_{s,i}: to the left, to the right, and on the side that moves no unit off
its kink (the one σ'(0) = 0 stands for). The steps shrink until a side crosses nothing but units
sitting exactly on a kink, whose one-sided slopes are exact.

``report`` and ``fail`` judge the analytic value against the side its σ'(0) takes (0: the side
that switches nothing on, as ReLU'(0) = 0; 1: the right), or, when the analytic side does not say
(a replaced φ or a whole backward), against whichever side it is nearest. ``bracket`` passes any
value between the two one-sided slopes, sample by sample. An element with no side free of kinks
is left unjudged and counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..core.backprop import Steps, special_case
from ..core.network import Network
from ..numeric.engine import PerturbationEngine
from ..numeric.finite_differences import METHODS, Method
from ..numeric.targets import Target
from .elements import ElementEstimates

__all__ = ["Convention", "KinkVerdicts", "judge_kinks", "kink_convention", "listed_kinks"]

Array = np.ndarray
# Which one-sided slope the analytic side's σ'(0) stands for: "off" (σ'(0) = 0, the side that
# switches no unit on), "on" (σ'(0) = 1, the right), or None when it does not say.
Convention = Literal["off", "on"] | None

# Steps of the one-sided differences, as fractions of the base step, largest first.
_SCALES = (1.0, 0.1, 0.01, 0.001)
# Round-off of a one-sided slope, (32 + 12 + 1)/6 = 7.5 times u·|L|/h, with a fourfold margin
# (the judging atol keeps tenfold over a central difference's u·|L|/ε: precision.judging_atol).
_ROUND_OFF_MARGIN = 30.0
# Kink positions listed per tensor in the report (all are counted).
_LISTED_KINKS = 100


@dataclass(frozen=True)
class KinkVerdicts:
    """The numeric values to judge, the elements left without a verdict, and the absolute
    tolerance each element is judged with: atol, or where it was judged one-sidedly the
    round-off floor of the steps it took, when that is higher (what it can resolve)."""

    values: Array
    unjudged: Array
    atol: Array

    @property
    def count(self) -> int:
        return int(np.count_nonzero(self.unjudged))


def listed_kinks(positions: Array, shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The first of the kinked flat positions, as indices into the tensor, for the report."""
    return tuple(
        tuple(int(i) for i in np.unravel_index(int(p), shape)) for p in positions[:_LISTED_KINKS]
    )


def kink_convention(analytic: object, network: Network, layer: int) -> Convention:
    """Which side the analytic side takes at the kinks a step of ``layer`` reaches: those of
    ``layer`` and every later layer, from their σ'(0), where known and the same for all."""
    sides = {
        _layer_convention(analytic, network, j)
        for j in range(layer, network.depth + 1)
        if network.activation(j).kinks
    }
    return sides.pop() if len(sides) == 1 else None


def _layer_convention(analytic: object, network: Network, layer: int) -> Convention:
    """Which side the analytic φ of ``layer`` takes at a kink: from its σ'(0), where known."""
    activation = network.activation(layer)
    if not isinstance(analytic, Steps) or activation.derivative is None:
        return None
    replaced_phi = analytic.phi_output if layer == network.depth else analytic.phi_hidden
    if replaced_phi is not None:
        return None
    if layer == network.depth and special_case(network, analytic) is not None:
        derivative: Callable[..., Array] = activation.derivative  # the special case's z > 0
    elif analytic.activation_derivative is not None:
        replaced = analytic.activation_derivative
        derivative = lambda z: replaced(activation, z, layer=layer)  # noqa: E731
    else:
        derivative = activation.derivative
    try:
        at_kink = float(np.asarray(derivative(np.zeros((1, 1)))).reshape(-1)[0])
    except Exception:  # the user's σ' may refuse a probe; then it does not say
        return None
    return "off" if at_kink == 0.0 else "on" if at_kink == 1.0 else None


def judge_kinks(
    policy: str,
    engine: PerturbationEngine,
    target: Target,
    elements: Array,
    analytic: Array,
    estimates: ElementEstimates,
    *,
    method: Method,
    step: float,
    dtype: str,
    convention: Convention,
    rtol: float,
    atol: float,
) -> KinkVerdicts:
    """Values to compare with ``analytic`` (the checked elements' analytic values).

    Where the analytic value matches no side it could stand for, the element fails when every
    such side was measured, and is left unjudged (NaN) when one could not be: a σ' of 1 at a
    kink whose step also switches units of later layers sitting exactly on theirs, say.

    The one-sided slopes are real differences at no larger a step than central differences
    take. The complex step's imaginary step moves no unit off a kink, so it always measures
    σ'(0) = 0's side; its kinks are judged by these real differences too, and so with no
    smaller an rtol than central differences'. An element within the tolerance of the side it
    is judged by is given its own analytic value to compare with.
    """
    values = estimates.values.copy()
    kinked = np.flatnonzero(estimates.kinks)
    if kinked.size == 0:
        return KinkVerdicts(values, np.zeros(values.size, dtype=bool), np.full(values.size, atol))
    central = METHODS["central"].defaults(dtype)
    base = min(step, central.eps)
    if method.complex:
        base, rtol = central.eps, max(rtol, central.rtol)
    slopes = _one_sided_slopes(engine, target, elements[kinked], base)
    wanted = analytic[kinked]
    # Within the round-off of the steps it took, or the rtol of a one-sided difference, the side
    # judged by cannot tell the values apart.
    tolerance = np.maximum(atol, slopes.floor)
    if policy == "bracket":
        low, high = np.fmin(slopes.left, slopes.right), np.fmax(slopes.left, slopes.right)
        judged = np.clip(wanted, low - slopes.floor, high + slopes.floor)
        # Outside, it fails; unless a share was ambiguous and the value may be a σ'(0) = 1 that
        # no side measures (σ'(0) = 0 always is one: the side that switches nothing on).
        outside = ~_matches(wanted, judged, rtol, tolerance)
        if convention != "off":
            judged[outside & slopes.ambiguous] = np.nan
    else:
        candidates = {"off": (slopes.off,), "on": (slopes.on,), None: (slopes.off, slopes.on)}
        judged = _verdict(wanted, candidates[convention], rtol, tolerance)
    judged = np.where(_matches(wanted, judged, rtol, tolerance), wanted, judged)
    values[kinked] = judged
    unjudged = np.zeros(values.size, dtype=bool)
    unjudged[kinked] = np.isnan(judged)
    tolerances = np.full(values.size, atol)
    tolerances[kinked] = tolerance
    return KinkVerdicts(values, unjudged, tolerances)


def _matches(analytic: Array, numeric: Array, rtol: float, atol: float | Array) -> Array:
    """The report's rule: an element fails only if rel > rtol and abs > atol."""
    with np.errstate(invalid="ignore"):
        error = np.abs(analytic - numeric)
        scale = np.maximum(np.abs(analytic), np.abs(numeric))
        return np.isfinite(numeric) & ((error <= rtol * scale) | (error <= atol))


def _verdict(
    wanted: Array, candidates: tuple[Array, ...], rtol: float, atol: float | Array
) -> Array:
    """A matching candidate; else the nearest when all were measured; else NaN (unjudged)."""
    stacked = np.stack(candidates)
    measured = np.isfinite(stacked)
    matching = _matches(wanted, stacked, rtol, atol)
    distance = np.where(matching, -1.0, np.where(measured, np.abs(stacked - wanted), np.inf))
    best = np.take_along_axis(stacked, np.argmin(distance, axis=0)[None], axis=0)[0]
    decided = matching.any(axis=0) | measured.all(axis=0)
    return np.where(decided, best, np.nan)


@dataclass(frozen=True)
class _Slopes:
    """Per element, summed over its samples' shares: the slope to the left and to the right;
    σ'(0) = 0's (the side that switches no unit on) and σ'(0) = 1's (the right, where no later
    unit sits on its kink); NaN where not measured. ``ambiguous``: some share's steps switched
    later units sitting exactly on their kinks, so a convention could mean neither side.
    ``floor``: the round-off of the steps taken, which shrink to avoid kinks."""

    left: Array
    right: Array
    off: Array
    on: Array
    ambiguous: Array
    floor: Array


def _one_sided_slopes(
    engine: PerturbationEngine, target: Target, elements: Array, base: float
) -> _Slopes:
    """One-sided slopes of the loss for these elements, summed over their samples' shares."""
    rows, weights, owners = _sample_shares(engine, target, elements)
    phi = Target(target.layer, "phi")
    left, left_switched, left_step = _side(engine, phi, rows, -base)
    right, right_switched, right_step = _side(engine, phi, rows, base)
    own_on_kink, later_on_kink = _on_kinks(engine, target.layer, rows)
    ambiguous = later_on_kink & (left_switched | right_switched)
    # A side counts only where it was measured: one that crosses a kink at every step is not.
    left_free, right_free = ~left_switched & np.isfinite(left), ~right_switched & np.isfinite(right)
    off = np.where(left_free, left, np.where(right_free, right, np.nan))
    on = np.where(ambiguous, np.nan, np.where(own_on_kink, right, off))

    def total(shares: Array) -> Array:
        size = elements.size
        summed = np.bincount(owners, weights=weights * np.nan_to_num(shares), minlength=size)
        missing = np.bincount(owners, weights=~np.isfinite(shares), minlength=size)
        return np.where(missing > 0, np.nan, summed)

    size = elements.size
    count = np.bincount(owners, weights=ambiguous, minlength=size) > 0
    samples = rows // engine.trace.z(target.layer).shape[1]
    floor = _round_off(engine.sample_losses[samples], np.fmin(left_step, right_step))
    element_floor = np.bincount(owners, weights=np.abs(weights) * floor, minlength=size)
    return _Slopes(total(left), total(right), total(off), total(on), count, element_floor)


def _round_off(losses: Array, steps: Array) -> Array:
    """What rounding can move a row's one-sided slope by: (32 + 12 + 1)·u·|L_s| / 6h, four times
    over.

    ``losses`` are the rows' sample losses, ``steps`` the smaller of the two sides' steps.
    Rows that found no step free of kinks count as 0: they are unjudged anyway.
    """
    unit = float(np.finfo(losses.dtype).eps)
    floor = _ROUND_OFF_MARGIN * unit * np.maximum(np.abs(losses), 1.0) / steps
    return np.nan_to_num(floor, nan=0.0, posinf=0.0)


def _on_kinks(engine: PerturbationEngine, layer: int, rows: Array) -> tuple[Array, Array]:
    """Per φ row (sample s, unit i of ``layer``): whether z^layer[s, i] sits exactly on a kink,
    and whether some unit of a later layer does in sample s."""
    network, trace = engine.network, engine.trace
    samples, units = np.divmod(rows, trace.z(layer).shape[1])

    def exactly_on(k: int) -> Array:
        z = trace.z(k)
        return np.isin(z, network.activation(k).kinks) if network.activation(k).kinks else z != z

    own = exactly_on(layer)[samples, units]
    later = np.zeros(rows.size, dtype=bool)
    for k in range(layer + 1, network.depth + 1):
        later |= exactly_on(k)[samples].any(axis=1)
    return own, later


def _sample_shares(
    engine: PerturbationEngine, target: Target, elements: Array
) -> tuple[Array, Array, Array]:
    """The z^j[s, i] each element moves, as φ elements; each one's weight; its element's index.

    A φ element is its own single share (weight 1: φ is per sample). W^j[i, k] moves z^j[s, i]
    by a^{j−1}_{s,k} per unit step and b^j[i] by 1, and L is the batch mean; samples whose share
    is 0 (an input of 0) are left out.
    """
    batch, width = engine.batch_size, engine.shape(Target(target.layer, "phi"))[1]
    if target.quantity == "phi":
        return elements, np.ones(elements.size), np.arange(elements.size)
    if target.quantity == "W":
        units, inputs = np.divmod(elements, engine.network.W(target.layer).shape[1])
        weights = engine.trace.a(target.layer - 1)[:, inputs].T / batch  # (elements, B)
    else:
        units = elements
        weights = np.full((elements.size, batch), 1.0 / batch)
    owners, samples = np.nonzero(weights)
    return samples * width + units[owners], weights[owners, samples], owners


def _side(
    engine: PerturbationEngine, phi: Target, rows: Array, base: float
) -> tuple[Array, Array, Array]:
    """Each row's one-sided slope in the direction of ``base``, whether that side switched a unit
    sitting on its kink, and the step taken; NaN where every step crossed a kink inside it."""
    slopes = np.full(rows.size, np.nan)
    taken = np.full(rows.size, np.nan)
    switched = np.zeros(rows.size, dtype=bool)
    pending = np.arange(rows.size)
    for scale in _SCALES:
        if pending.size == 0:
            break
        h = base * scale
        moves = [engine.loss_changes(phi, t * h, rows[pending]) for t in (0.5, 1.0, 2.0)]
        clean = ~np.any([move.crossings for move in moves], axis=0)
        done = pending[clean]
        half, near, far = (move.changes.real[clean] for move in moves)
        # Third order: (32 ΔL(h/2) − 12 ΔL(h) + ΔL(2h)) / 6h misses f'(0±) by O(h³), not O(h):
        # a float32 step of 1e-2 meets curvature that a second-order one misses by percents.
        slopes[done] = (32 * half - 12 * near + far) / (6 * h)
        switched[done] = np.any([move.kinks[clean] for move in moves], axis=0)
        taken[done] = abs(h)
        pending = pending[~clean]
    return slopes, switched, taken
