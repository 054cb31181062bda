"""W^j perturbations that reach a softmax–cross-entropy output linearly, a block at a time.

When every layer after j up to the logits is piecewise linear (the engine's linear chain) and the
output is softmax with categorical cross-entropy, moving a^j[s, i] by Δa moves the logits by
δ = Δa·g, g = gain[:, s, i], and the sample's loss by

    ΔL_s = L_s(z^J + δ) − L_s(z^J) = Y_s log Σ_c p_sc e^{δ_c} − Δa (y_s · g),

with p_s = softmax(z^J_s) and Y_s = Σ_c y_sc: the same loss change as a forward pass from the moved
logits, without their max-shift, gathering or second loss. With g' = g − (y_s · g)/Y_s it reads
Y_s log Σ_c p_sc e^{Δa g'_c}. For W^j[i, k] the rows of one sample share g' per unit i and Δa per
(unit, input), so a block of units × inputs is one broadcast product, one exp and one
matrix-vector product with p_s: little beyond the exps themselves. The sum needs no max-shift
while every |Δa g'| stays small; rows where it might not, or where some unit between j and J
could change side, are left to the engine's own row-by-row path.

Where σ^j is linear over the whole step as well, no exp is needed at all (:mod:`.moment_series`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.activations import ACTIVATIONS, Activation
from ..core.losses import LOSSES
from ..core.network import Network, Trace
from .moment_series import SERIES_TERMS, MomentSeries, series_terms

__all__ = ["BlockChanges", "WeightBlocks", "block_columns", "rectangle"]

Array = np.ndarray
SideFlags = Callable[[Array, Array, int], Array]
# The engine's own path for rows (units, samples, Δa): their loss changes and side flags.
RowPath = Callable[[Array, Array, Array], tuple[Array, Array]]

# exp(±30) is far from overflow, and a term e^{log p + δ} that underflowed in p stays below
# e^{−745+30}: negligible next to the others' sum, which is at least e^{−30}.
_SAFE_EXPONENT = 30.0
# Numbers in one sample's (classes × inputs × units) exponent block: big enough that numpy's
# per-call cost vanishes, small enough to stay in cache.
_BLOCK_NUMBERS = 1 << 19


def block_columns(classes: int, units: int) -> int:
    """Inputs per block of W^j (all its units): one sample's exponents then fit the block size."""
    return max(1, _BLOCK_NUMBERS // max(1, classes * units))


@dataclass(frozen=True)
class BlockChanges:
    """Per element of a units × inputs block (unit-major): Σ_s ΔL_s and side flags.

    ``rest`` rows (element position, sample, Δa) were left out of ``changes``: the engine pushes
    them through its own path and adds them.
    """

    changes: Array
    flags: Array
    rest: tuple[Array, Array, Array]


def rectangle(elements: Array, width: int) -> tuple[Array, Array, Array | None] | None:
    """(units, inputs, order) when the flat W indices are every pair of some units and inputs.

    ``order`` sorts ``elements`` into unit-major order (None when they already are); None when the
    indices are no such product.
    """
    if elements.size == 0:
        return None
    order = None if np.all(elements[1:] > elements[:-1]) else np.argsort(elements, kind="stable")
    ordered = elements if order is None else elements[order]
    rows = ordered // width
    # Sorted already: the distinct units without np.unique (which would import numpy.ma).
    units = rows[np.concatenate(([True], rows[1:] != rows[:-1]))]
    inputs = ordered[: ordered.size // units.size] % width
    if units.size * inputs.size != ordered.size:
        return None
    if not np.array_equal((units[:, None] * width + inputs).ravel(), ordered):
        return None
    return units, inputs, order


class WeightBlocks:
    """Loss changes of W^j perturbations through a linear chain into softmax + CCE."""

    def __init__(
        self,
        *,
        activation: Activation,
        z: Array,
        a: Array,
        a_previous: Array,
        gain: Array,
        logits: Array,
        y: Array,
        limits: tuple[Array, Array] | None,
    ) -> None:
        """``gain`` is (classes, B, units_j), or (classes, units_j) when one for every sample."""
        self.activation = activation
        self.z, self.a, self.a_previous, self.limits = z, a, a_previous, limits
        top = np.max(logits, axis=1, keepdims=True)
        log_p = logits - top - np.log(np.sum(np.exp(logits - top), axis=1, keepdims=True))
        self.p = np.exp(log_p)
        self.label_sums = np.sum(y, axis=1)
        per_sample = (
            np.broadcast_to(gain[:, None, :], (gain.shape[0], *z.shape)) if gain.ndim == 2 else gain
        )
        # (B, classes, units): g' = g − (y_s·g)/Y_s; a sample without labels has L_s ≡ 0.
        gains = np.ascontiguousarray(per_sample.transpose(1, 0, 2))
        label_gain = np.einsum("sc,sci->si", y, gains)
        with np.errstate(divide="ignore", invalid="ignore"):
            shift = np.where(
                self.label_sums[:, None] != 0, label_gain / self.label_sums[:, None], 0
            )
        self.gains = gains - shift[:, None, :]
        self.largest_gain = np.max(np.abs(self.gains), axis=1)
        self.series = MomentSeries(self.p, self.gains, self.label_sums, self.largest_gain)

    @classmethod
    def build(
        cls,
        network: Network,
        trace: Trace,
        y: Array,
        layer: int,
        chain_gain: Array | None,
        limits: tuple[Array, Array] | None,
    ) -> WeightBlocks | None:
        """The blocks for W^layer, or None where this shortcut does not apply.

        For the output layer's own W the logits move directly: the gain is the identity.
        """
        depth = network.depth
        if (
            network.activation(depth) is not ACTIVATIONS["softmax"]
            or network.loss is not LOSSES["categorical_crossentropy"]
            or any(t.dtype != np.float64 for t in (*trace.zs, *trace.activations, y))
        ):
            return None
        if layer == depth:
            logits = trace.zs[-1]
            activation, a, gain = ACTIVATIONS["linear"], logits, np.eye(logits.shape[1])
        else:
            activation, a = network.activation(layer), trace.a(layer)
            gain = network.W(layer + 1) if chain_gain is None else chain_gain
        return cls(
            activation=activation,
            z=trace.z(layer),
            a=a,
            a_previous=trace.a(layer - 1),
            gain=gain,
            logits=trace.zs[-1],
            y=y,
            limits=limits,
        )

    def loss_changes(
        self, step: complex, elements: Array, side_flags: SideFlags, row_path: RowPath | None
    ) -> tuple[Array, Array] | None:
        """Σ_s ΔL_s and side flags per flat W index, or None unless the indices form a block.

        Rows the block leaves out go by ``row_path``; without one (the output layer, where only
        huge steps leave any) the whole call is left to the engine.
        """
        block = rectangle(elements, self.a_previous.shape[1])
        if block is None:
            return None
        units, inputs, order = block
        result = self.changes(step, units, inputs, side_flags=side_flags)
        changes, flags = result.changes, result.flags
        positions, samples, moves = result.rest
        if positions.size and row_path is None:
            return None
        if positions.size:
            row_changes, row_flags = row_path(units[positions // inputs.size], samples, moves)
            np.add.at(changes, positions, row_changes)
            np.bitwise_or.at(flags, positions, row_flags)
        if order is not None:
            changes[order], flags[order] = changes.copy(), flags.copy()
        return changes, flags

    def changes(
        self, step: complex, units: Array, inputs: Array, *, side_flags: SideFlags
    ) -> BlockChanges:
        """Σ over samples of ΔL_s for W^j[i, k] += step, every i in ``units``, k in ``inputs``."""
        dtype = np.result_type(step, self.z)
        totals = np.zeros((units.size, inputs.size), dtype=dtype)
        flags = np.zeros(totals.shape, dtype=np.uint8)
        block = _Block(self, step, units, inputs)
        # One buffer for every sample's exponents: a fresh one each time costs page faults.
        buffer = np.empty(self.gains.shape[1] * totals.size, dtype=dtype)
        rest: list[tuple[Array, Array, Array]] = []
        by_series = self._series_samples(block)
        left = np.ones(block.z.shape[0], dtype=bool)
        if by_series is not None:
            served, terms, slopes = by_series
            totals += self.series.block_totals(slopes, block.shifts, units, served, terms)
            left = ~served
        resting = None if block.resting is None else np.any(block.resting, axis=1)
        for s in np.flatnonzero(left if resting is None else left | resting):
            live, moving_inputs = np.flatnonzero(block.moving[s]), block.moving_inputs(s)
            if resting is not None and resting[s]:
                flags[block.resting_rows(s)] |= side_flags(
                    block.shifts[s, moving_inputs][None, None, :],
                    np.zeros((1, 1, 1), dtype=block.z.dtype),
                    0,
                )
            if not left[s] or live.size == 0 or moving_inputs.size == 0:
                continue
            z_live = block.z[s, live]
            where = np.ix_(live, moving_inputs)
            near_kink = self.activation.kinks and np.any(np.abs(z_live) <= block.reach[s])
            moved = z_live[:, None] + block.shifts[s, moving_inputs]
            moves = self.activation.value(moved) - block.a[s, live][:, None]
            if near_kink:
                flags[where] |= side_flags(moved[None], z_live[None, :, None], 0)
            apart = self._apart(s, units[live], moves, block)
            if apart is not None:
                u, k = np.nonzero(apart)
                rest.append(
                    (live[u] * inputs.size + moving_inputs[k], np.full(k.size, s), moves[u, k])
                )
            if self.label_sums[s] == 0 or (apart is not None and apart.all()):
                continue
            losses = self._sample_changes(s, units[live], moves, buffer)
            if apart is not None:
                losses[apart] = 0
            if moving_inputs.size == inputs.size:
                totals[live] += losses
            else:
                totals[where] += losses
        rows = (
            tuple(np.concatenate(parts) for parts in zip(*rest, strict=True))
            if rest
            else (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0, dtype))
        )
        return BlockChanges(totals.ravel(), flags.ravel(), rows)  # type: ignore[arg-type]

    def _apart(self, s: int, units: Array, moves: Array, block: _Block) -> Array | None:
        """Rows (units × inputs) the block may not compute: a unit in between may change side,
        or the exponent may leave the range where the sum needs no shift. None if there are none.
        """
        largest = (
            max(np.max(moves), -np.min(moves)) if moves.dtype.kind == "f" else np.max(np.abs(moves))
        )
        if largest * block.largest_gain[s] > _SAFE_EXPONENT:
            return np.ones(moves.shape, dtype=bool)
        if self.limits is None or largest < block.nearest_limit[s]:
            return None
        up, down = self.limits[0][s, units][:, None], self.limits[1][s, units][:, None]
        rise = moves.real
        apart = (rise >= up) | (-rise >= down)
        return apart if apart.any() else None

    def _series_samples(self, block: _Block) -> tuple[Array, int, Array] | None:
        """The samples the moment series serves (a mask), the terms they need
        (:mod:`.moment_series`) and σ'(z^j) of each sample's units (0 where the step does not
        move one); None where it serves none.

        It serves a sample when σ^j is linear over the whole step (no live unit within reach of
        a kink), no later unit might change side and SERIES_TERMS terms suffice; not for
        complex steps.
        """
        if not self.activation.piecewise_linear or block.shifts.dtype.kind != "f":
            return None
        live = block.moving
        slopes = np.where(live, self.activation.derivative(block.z), 0.0)
        largest = np.max(np.abs(slopes), axis=1) * block.reach
        with np.errstate(over="ignore", invalid="ignore"):
            tau = largest * block.largest_gain
            served = np.ones(tau.shape, dtype=bool)
            if self.activation.kinks:
                served &= ~np.any(live & (np.abs(block.z) <= block.reach[:, None]), axis=1)
            if block.nearest_limit is not None:
                served &= largest < block.nearest_limit
        needed = series_terms(tau)
        served &= needed <= SERIES_TERMS
        return (served, int(np.max(needed[served])), slopes) if served.any() else None

    def _sample_changes(self, s: int, units: Array, moves: Array, buffer: Array) -> Array:
        """Y_s log Σ_c p_sc e^{Δa g'_c} for every (unit, input) move of one sample."""
        classes = self.gains.shape[1]
        exponents = buffer[: classes * moves.size].reshape(classes, *moves.shape)
        np.multiply(self.gains[s][:, units, None], moves, out=exponents)
        np.exp(exponents, out=exponents)
        sums = self.p[s].astype(exponents.dtype) @ exponents.reshape(classes, -1)
        losses = np.log(sums, out=sums).reshape(moves.shape)
        if not moves.all():
            # Σ_c p_sc is 1 only to rounding: a row that does not move changes nothing.
            losses[moves == 0] = 0
        return losses if self.label_sums[s] == 1 else self.label_sums[s] * losses


class _Block:
    """What every sample's pass over one units × inputs block needs, computed for all at once."""

    def __init__(self, blocks: WeightBlocks, step: complex, units: Array, inputs: Array) -> None:
        self.z, self.a = blocks.z[:, units], blocks.a[:, units]
        self.shifts = step * blocks.a_previous[:, inputs]
        magnitudes = np.abs(self.shifts)
        self.reach = np.max(magnitudes, axis=1)
        # An input of 0 moves nothing: its rows are left out, their changes exactly 0.
        self._still = magnitudes == 0
        self._all_move = ~self._still.any(axis=1)
        off = blocks.activation.off_at_or_below
        if off is None:
            self.moving = np.ones(self.z.shape, dtype=bool)
        else:
            # A unit held where σ is flat moves only if some shift carries it out of there.
            highest = np.max(self.shifts.real, axis=1, keepdims=True)
            self.moving = (self.z > off) | (self.z + highest > off)
        # Units exactly on their kink that a step leaves flat (to the off side, or off the real
        # axis) change no loss, but moving them at all is flagged.
        self.resting = (self.z == 0) & ~self.moving if blocks.activation.kinks else None
        self.largest_gain = np.max(np.where(self.moving, blocks.largest_gain[:, units], 0), axis=1)
        self.nearest_limit = (
            None
            if blocks.limits is None
            else np.min(
                np.where(
                    self.moving, np.minimum(*(limit[:, units] for limit in blocks.limits)), np.inf
                ),
                axis=1,
            )
        )
        self._everything = np.arange(inputs.size)

    def resting_rows(self, s: int) -> tuple[Array, Array]:
        """Block positions (units × moving inputs) of the units resting on their kink in s."""
        assert self.resting is not None
        return np.ix_(np.flatnonzero(self.resting[s]), self.moving_inputs(s))

    def moving_inputs(self, s: int) -> Array:
        """Positions of the inputs whose shift is not 0 in sample s."""
        return self._everything if self._all_move[s] else np.flatnonzero(~self._still[s])
