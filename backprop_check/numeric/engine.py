"""Exact loss changes for one-at-a-time perturbations, computed many at a time.

Perturbing W^j[i,k] by h moves only unit i of z^j, by h·a^{j-1}_k in each sample (b^j[i]: by h;
z^j[s,i] for φ: by h in sample s alone). So a^j changes in one unit, by Δa per sample, and every
later layer sees a rank-1 change. The engine turns each (perturbation, sample) pair whose Δa is not
zero into one "row" and pushes all rows of a chunk through the rest of the network together.
Samples whose Δa is zero (a dead ReLU stays dead) are skipped: their loss does not change.

Through hidden layers that are piecewise linear (ReLU, linear) the change stays exactly linear as
long as no unit changes side, so z^m moves by Δa·G[s, i] with G the product of the layers in
between; rows that could make some unit change side are sent through the plain layer-by-layer
forward instead. Both are the same forward pass, so results agree with perturbing one parameter at
a time and recomputing everything, to rounding. Which ReLUs changed side (kinks) falls out of the
same pass, and so does which units sitting exactly on a kink a step moved at all: there a step to
one side, or an imaginary one, measures one of two slopes, and the judge must know.

Results are loss changes L(θ + h e) − L(θ): the finite-difference formulas only combine such
differences, and summing per-sample changes avoids cancelling the unchanged samples' losses.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numpy as np

from ..core.network import Network
from .sides import FLAGS, side_flags, side_limits
from .targets import Target
from .weight_blocks import RowPath, WeightBlocks, block_columns

__all__ = ["DEFAULT_MAX_MEMORY", "LossChanges", "PerturbationEngine"]

Array = np.ndarray

DEFAULT_MAX_MEMORY = 512 * 2**20
# Rows handled per step: large enough that numpy's per-call overhead vanishes, small enough
# that the temporaries stay in cache.
_ROWS_PER_STEP = 1 << 16
# Arrays alive at once per element of an (elements × samples) or (rows × units) block, with
# headroom; complex steps need 16 bytes per number.
_TEMPORARIES = 8
_BYTES = 16


@dataclass(frozen=True)
class LossChanges:
    """Per perturbed element: the loss change, and whether some ReLU changed side.

    ``kinks`` marks any change of side. ``crossings`` marks the changes of a unit that was not
    exactly on its kink: a kink strictly inside the step, where the loss bends between θ and
    θ + step. A unit exactly on its kink only leaves it, so the loss is smooth on the way and
    a one-sided difference there is the one-sided derivative. ``on_kinks`` marks a step that
    moved a unit sitting exactly on its kink at all (either way, or by an imaginary step): the
    difference then measures one side's slope, which a σ'(0) of the other side need not match.
    """

    changes: Array
    kinks: Array
    crossings: Array
    on_kinks: Array

    @classmethod
    def from_flags(cls, changes: Array, flags: Array) -> LossChanges:
        return cls(changes, *((flags & bit) != 0 for bit in FLAGS))


@dataclass(frozen=True)
class _Chain:
    """How a change of a^j reaches z^m linearly: Δz^m = Δa · gain[:, s, i] (gain (n_m, B, n_j)).

    ``up`` and ``down`` bound |Δa| for rising and falling Δa: beyond them some unit in between
    might change side, and the row takes the plain layer-by-layer path instead.
    """

    end: int
    gain: Array | None  # None when end == j + 1: the gain is W^{j+1}[:, i] for every sample
    up: Array | None
    down: Array | None


class PerturbationEngine:
    """Loss changes of a network on one batch for perturbations of W, b and z, in batches."""

    def __init__(
        self, network: Network, x: Array, y: Array, *, max_memory: int = DEFAULT_MAX_MEMORY
    ) -> None:
        self.network = network
        self.x = x
        self.y = y
        self.max_memory = max_memory
        self.trace = network.forward(x)
        self.sample_losses = network.sample_losses(self.trace.zs[-1], self.trace.activations[-1], y)
        # Rows are stored unit-major, (units, rows): numpy then reduces over units (softmax,
        # log-sum-exp, the loss sum) along the long axis, several times faster for narrow layers.
        self._z_by_unit = [np.ascontiguousarray(z.T) for z in self.trace.zs]
        self._a_by_unit = [np.ascontiguousarray(a.T) for a in self.trace.activations]
        self._y_by_unit = np.ascontiguousarray(y.T)
        self._chains: dict[int, _Chain] = {}
        self._blocks: dict[int, WeightBlocks | None] = {}
        self._chains_lock = threading.Lock()

    @property
    def batch_size(self) -> int:
        return self.x.shape[0]

    def shape(self, target: Target) -> tuple[int, ...]:
        """The shape of the perturbed tensor."""
        if target.quantity == "phi":
            return self.trace.z(target.layer).shape
        if target.quantity == "W":
            return self.network.W(target.layer).shape
        return self.network.b(target.layer).shape

    def chunk_size(self, target: Target) -> int:
        """Elements per call of :meth:`loss_changes` that keep temporaries within the budget."""
        samples_per_element = 1 if target.quantity == "phi" else self.batch_size
        per_element = samples_per_element * _BYTES * _TEMPORARIES
        return max(1, min(self.max_memory // 2 // per_element, 1 << 20))

    def _rows_per_step(self, layer: int) -> int:
        """Rows pushed through the network at once: the other half of the memory budget."""
        depth = self.network.depth
        widest = max(self.trace.z(k).shape[1] for k in range(min(layer + 1, depth), depth + 1))
        per_row = widest * _BYTES * _TEMPORARIES
        return max(1, min(self.max_memory // 2 // per_row, _ROWS_PER_STEP))

    # ------------------------------------------------------------------ element perturbations

    def loss_changes(self, target: Target, step: complex, elements: Array) -> LossChanges:
        """L(θ + step·e) − L(θ) for each flat element index e of the target, one at a time.

        For W and b, L is the batch mean; for φ (a perturbation of z^j[s, i]) it is L_s.
        """
        elements = np.asarray(elements, dtype=np.intp)
        j = target.layer
        z_by_unit = self._z_by_unit[j - 1]
        if target.quantity == "phi":
            samples, units = np.divmod(elements, z_by_unit.shape[0])
            columns = (
                z_by_unit[units, samples][:, None],
                self._a_by_unit[j][units, samples][:, None],
            )
            deltas = np.full((elements.size, 1), step)
            changes, flags = self._column_changes(j, units, columns, deltas, samples=samples)
            return LossChanges.from_flags(changes, flags)
        if target.quantity == "W":
            blocked = self._blocked_changes(j, step, elements)
            if blocked is not None:
                return blocked
            units, inputs = np.divmod(elements, self.network.W(j).shape[1])
            deltas = step * self._a_by_unit[j - 1][inputs]
        else:
            units = elements
            deltas = np.full((elements.size, self.batch_size), step)
        columns = (z_by_unit[units], self._a_by_unit[j][units])
        changes, flags = self._column_changes(j, units, columns, deltas, samples=None)
        return LossChanges.from_flags(changes / self.batch_size, flags)

    def block_columns(self, target: Target) -> int | None:
        """Inputs of W^j per call that suit the block path (all units each), or None without one."""
        if target.quantity != "W" or self._weight_blocks(target.layer) is None:
            return None
        classes, units = self.trace.zs[-1].shape[1], self.network.W(target.layer).shape[0]
        within_budget = self.max_memory // 2 // (classes * units * _BYTES * _TEMPORARIES)
        return min(block_columns(classes, units), within_budget) or None

    def _weight_blocks(self, j: int) -> WeightBlocks | None:
        """The block path for W^j (:mod:`.weight_blocks`), cached; None where it does not apply."""
        chain = None if j == self.network.depth else self._chain(j)
        with self._chains_lock:
            if j not in self._blocks:
                self._blocks[j] = None
                if chain is None or chain.end == self.network.depth:
                    gain = None if chain is None else chain.gain
                    limits = None if chain is None or chain.up is None else (chain.up, chain.down)
                    self._blocks[j] = WeightBlocks.build(
                        self.network, self.trace, self.y, j, gain, limits
                    )
            return self._blocks[j]

    def _blocked_changes(self, j: int, step: complex, elements: Array) -> LossChanges | None:
        """W^j's loss changes by blocks of units × inputs (:mod:`.weight_blocks`), where it can."""
        blocks, batch = self._weight_blocks(j), self.batch_size
        rows = None if j == self.network.depth else functools.partial(self._propagate, j)
        found = None if blocks is None else blocks.loss_changes(step, elements, side_flags, rows)
        return None if found is None else LossChanges.from_flags(found[0] / batch, found[1])

    def _column_changes(
        self,
        j: int,
        units: Array,
        columns: tuple[Array, Array],
        deltas: Array,
        *,
        samples: Array | None,
    ) -> tuple[Array, Array]:
        """Per element e: Σ over its samples of ΔL_s when z^j[s, units[e]] moves by deltas[e].

        ``columns`` holds z^j and a^j of each element's unit, one column per sample 0…B−1, or,
        when ``samples`` is given, a single column for the sample samples[e].
        """
        z_columns, a_columns = columns
        elements, width = z_columns.shape
        flags = np.zeros(elements, dtype=np.uint8)
        hidden = j < self.network.depth
        if hidden:
            activation = self.network.activation(j)
            moved = z_columns + deltas
            moves = activation.value(moved) - a_columns
            if activation.kinks:
                flags |= side_flags(moved, z_columns, axis=1)
        else:
            moves = deltas
        live = np.flatnonzero(moves)
        element_rows, column_rows = np.divmod(live, width)
        sample_rows = column_rows if samples is None else samples[element_rows]
        unit_rows = units[element_rows]
        moves = moves.ravel()[live]
        changes = np.zeros(elements, dtype=np.result_type(deltas, z_columns))
        step = self._rows_per_step(j)
        for start in range(0, live.size, step):
            rows = slice(start, start + step)
            if hidden:
                row_changes, row_flags = self._propagate(
                    j, unit_rows[rows], sample_rows[rows], moves[rows]
                )
            else:
                row_changes, row_flags = self._by_series(
                    j, unit_rows[rows], sample_rows[rows], moves[rows], self._output_rows
                )
            _accumulate(changes, element_rows[rows], row_changes)
            for bit in FLAGS:
                flags[element_rows[rows][(row_flags & bit) != 0]] |= bit
        return changes, flags

    def _propagate(
        self, j: int, units: Array, samples: Array, delta_a: Array
    ) -> tuple[Array, Array]:
        """Rows with a^j[s, i] moved by Δa: their per-sample loss changes and kink flags."""
        chain = self._chain(j)
        if chain.up is None or chain.down is None:
            return self._forward_linear(chain, j, units, samples, delta_a)
        rise = delta_a.real
        plain = (rise >= chain.up[samples, units]) | (-rise >= chain.down[samples, units])
        if not plain.any():
            return self._forward_linear(chain, j, units, samples, delta_a)
        weights_in = self.network.W(j + 1)
        changes = np.empty(delta_a.shape, dtype=np.result_type(delta_a, weights_in))
        flags = np.zeros(delta_a.shape, dtype=np.uint8)
        linear = ~plain
        changes[linear], flags[linear] = self._forward_linear(
            chain, j, units[linear], samples[linear], delta_a[linear]
        )
        z_next = (
            self._z_by_unit[j][:, samples[plain]] + weights_in[:, units[plain]] * delta_a[plain]
        )
        changes[plain], flags[plain] = self._forward_rows(j + 1, z_next, samples[plain])
        return changes, flags

    def _output_rows(self, units: Array, samples: Array, moves: Array) -> tuple[Array, Array]:
        """Rows whose logit z^J[s, i] moves by Δz: their loss changes (and no kinks)."""
        depth = self.network.depth
        dtype = np.result_type(moves, self._z_by_unit[depth - 1])
        z_rows = self._z_by_unit[depth - 1][:, samples].astype(dtype)
        z_rows[units, np.arange(z_rows.shape[1])] += moves
        return self._forward_rows(depth, z_rows, samples)

    def _by_series(
        self, j: int, units: Array, samples: Array, moves: Array, plain: RowPath
    ) -> tuple[Array, Array]:
        """Rows with a^j[s, i] moved by Δa through the moment series of the W^j blocks where it
        serves them (:meth:`.MomentSeries.row_changes`), the others by ``plain``; no unit between
        j and the logits may change side over any of them."""
        blocks = self._weight_blocks(j)
        if blocks is None:
            return plain(units, samples, moves)
        changes, served = blocks.series.row_changes(samples, units, moves)
        if not served.any():
            return plain(units, samples, moves)
        flags = np.zeros(moves.shape, dtype=np.uint8)
        if served.all():
            return changes, flags
        found = np.empty(moves.shape, dtype=np.result_type(moves, changes))
        found[served] = changes
        rest = ~served
        found[rest], flags[rest] = plain(units[rest], samples[rest], moves[rest])
        return found, flags

    def _forward_linear(
        self, chain: _Chain, j: int, units: Array, samples: Array, delta_a: Array
    ) -> tuple[Array, Array]:
        """Rows whose change reaches z^m linearly: by the moment series where it reaches the
        logits and serves, else z^m + Δa·gain and the rest of the pass."""
        if chain.end == self.network.depth:
            plain = functools.partial(self._forward_chain, chain, j)
            return self._by_series(j, units, samples, delta_a, plain)
        return self._forward_chain(chain, j, units, samples, delta_a)

    def _forward_chain(
        self, chain: _Chain, j: int, units: Array, samples: Array, delta_a: Array
    ) -> tuple[Array, Array]:
        """Rows whose change reaches z^m linearly: z^m + Δa·gain, then the rest of the pass."""
        gain = (
            self.network.W(j + 1)[:, units] if chain.gain is None else chain.gain[:, samples, units]
        )
        z_end = self._z_by_unit[chain.end - 1][:, samples] + gain * delta_a
        return self._forward_rows(chain.end, z_end, samples)

    def _forward_rows(self, layer: int, z: Array, samples: Array) -> tuple[Array, Array]:
        """Finish the forward pass from a moved z^layer given unit-major, (units, rows)."""
        network = self.network
        flags = np.zeros(z.shape[1], dtype=np.uint8)
        a = None
        for k in range(layer, network.depth + 1):
            activation = network.activation(k)
            if activation.kinks:
                flags |= side_flags(z, self._z_by_unit[k - 1][:, samples], axis=0)
            if k < network.depth:
                a = activation.value(z.T).T
                z = network.W(k + 1) @ a + network.b(k + 1)[:, None]
        # The output's activations are left to the loss, which may need only their logs.
        losses = network.sample_losses(z.T, None, self._y_by_unit[:, samples].T)
        return losses - self.sample_losses[samples], flags

    def _chain(self, j: int) -> _Chain:
        """The linear stretch after layer j, cached: through hidden ReLU/linear layers."""
        with self._chains_lock:
            if j not in self._chains:
                self._chains[j] = self._build_chain(j)
            return self._chains[j]

    def _build_chain(self, j: int) -> _Chain:
        network, trace = self.network, self.trace
        batch, width = trace.z(j).shape
        gain: Array | None = None
        up = down = None
        end = j + 1
        while end < network.depth and network.activation(end).piecewise_linear:
            if batch * width * trace.z(end + 1).shape[1] * 8 * 4 > self.max_memory:
                break
            current = (
                np.broadcast_to(network.W(end).T, (batch, *network.W(end).T.shape))
                if gain is None
                else gain
            )
            if network.activation(end).kinks:
                rise_limit, fall_limit = side_limits(trace.z(end), current)
                up = rise_limit if up is None else np.minimum(up, rise_limit)
                down = fall_limit if down is None else np.minimum(down, fall_limit)
            slope = network.activation(end).derivative(trace.z(end))
            gain = (current * slope[:, None, :]) @ network.W(end + 1).T
            end += 1
        if gain is not None:
            gain = np.ascontiguousarray(gain.transpose(2, 0, 1))
        return _Chain(end=end, gain=gain, up=up, down=down)

    # ------------------------------------------------------------------ directions

    def direction_changes(self, target: Target, step: complex, directions: Array) -> Array:
        """L(θ + step·v) − L(θ) for each direction v (directions[k] has the target's shape)."""
        moves = np.stack([self.direction_move(target, direction) for direction in directions])
        return self.move_changes(target, step, moves)

    def direction_move(self, target: Target, direction: Array) -> Array:
        """How z^j moves, per sample, when the target moves by ``direction`` (a unit step).

        Moving W^j by v moves z^j by a^{j−1} vᵀ, b^j by v each sample, z^j itself by v: an array
        of z^j's shape, however large W^j is, so many directions cost little memory.
        """
        j = target.layer
        if target.quantity == "W":
            return self.trace.a(j - 1) @ direction.T
        if target.quantity == "b":
            return np.broadcast_to(direction, self.trace.z(j).shape)
        return direction

    def move_changes(self, target: Target, step: complex, moves: Array) -> Array:
        """L(θ + step·v) − L(θ) per direction, given each one's move of z^j (direction_move)."""
        j = target.layer
        changes = np.empty(moves.shape[0], dtype=np.result_type(step, self.trace.z(j)))
        samples = np.arange(self.batch_size)
        for index, move in enumerate(moves):
            moved = np.ascontiguousarray((self.trace.z(j) + step * move).T)
            row_changes, _ = self._forward_rows(j, moved, samples)
            changes[index] = row_changes.sum()
        return changes if target.quantity == "phi" else changes / self.batch_size


def _accumulate(totals: Array, indices: Array, values: Array) -> None:
    """totals[indices] += values, with repeated indices adding up (bincount is the fast way)."""
    size = totals.size
    if np.iscomplexobj(values):
        totals += np.bincount(indices, weights=values.real, minlength=size)
        totals += 1j * np.bincount(indices, weights=values.imag, minlength=size)
    else:
        totals += np.bincount(indices, weights=values, minlength=size)
