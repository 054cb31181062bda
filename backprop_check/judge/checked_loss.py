"""The loss the checked gradients are of, as the finite differences see it: s · mean_s L_s + R.

The engine measures changes of the batch mean of the per-sample losses (and, for φ, of L_s).
The gradients a user's code returns are of its own reduction: the mean (s = 1) or the sum (s = B)
of the per-sample losses, plus the declared penalty R = c Σ_j ‖W^j‖², added once. So every loss
change the engine measures is scaled by s, and a perturbation of W^j gains ΔR exactly as the method
measures it: c((w + h)² − w²) for one element, c(2h⟨W, v⟩ + h²‖v‖²) along a direction v (both exact
for the complex step too). A φ the user returns is ∂(their loss)/∂z^j = (s/B) times the per-sample
φ^j. With ``impl.loss`` the changes of W and b are the user's own loss, one call per perturbation
and step, counted and bounded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..errors import BackpropCheckError
from ..numeric.engine import LossChanges, PerturbationEngine
from ..numeric.finite_differences import Method
from ..numeric.targets import Target

if TYPE_CHECKING:
    from ..core.network import Network
    from .user_backward import UserBackward

__all__ = ["MAX_USER_LOSS_CALLS", "CheckedLoss", "Scale", "UserLossCalls", "too_many_calls"]

Array = np.ndarray

# The most calls of a user's loss one check makes: each is a full forward pass in their code.
MAX_USER_LOSS_CALLS = 20_000


@dataclass(frozen=True)
class Scale:
    """How the checked loss relates to the engine's: ``params`` = s (∇W, ∇b), ``phi`` = the
    factor of φ (s/B for a φ the user returns, 1 for the per-sample φ of the built-in steps),
    ``coefficient`` = c of the penalty R = c Σ_j ‖W^j‖² (0 without one)."""

    params: float = 1.0
    phi: float = 1.0
    coefficient: float = 0.0

    def factor(self, quantity: str) -> float:
        return self.phi if quantity == "phi" else self.params


class CheckedLoss:
    """The engine's loss changes turned into those of the checked loss (same interface)."""

    def __init__(
        self, engine: PerturbationEngine, scale: Scale, user_loss: UserLossCalls | None = None
    ) -> None:
        self.engine = engine
        self.scale = scale
        self.user_loss = user_loss
        self.network = engine.network
        self.trace = engine.trace
        self.sample_losses = engine.sample_losses
        self.shape = engine.shape
        self.chunk_size = engine.chunk_size
        self.block_columns = engine.block_columns
        self.direction_move = engine.direction_move

    @property
    def batch_size(self) -> int:
        return self.engine.batch_size

    def _yours(self, target: Target) -> bool:
        return self.user_loss is not None and target.quantity != "phi"

    def loss_changes(self, target: Target, step: complex, elements: Array) -> LossChanges:
        """Changes of the checked loss, one element at a time; kinks as the engine finds them."""
        measured = self.engine.loss_changes(target, step, elements)
        if self._yours(target):
            assert self.user_loss is not None
            changes = self.user_loss.changes(target, step, elements)
        else:
            changes = self.scale.factor(target.quantity) * measured.changes
            changes = changes + self._penalty_changes(target, step, elements)
        return replace(measured, changes=changes)

    def direction_changes(
        self,
        target: Target,
        step: complex,
        moves: Array,
        directions: Callable[[], Iterable[Array]],
    ) -> Array:
        """Changes along each direction (``moves``: their moves of z^j; ``directions``: the
        directions themselves, drawn again when the penalty or the user's loss needs them)."""
        if self._yours(target):
            assert self.user_loss is not None
            return self.user_loss.along(target, step, directions())
        changes = self.scale.factor(target.quantity) * self.engine.move_changes(target, step, moves)
        if target.quantity == "W" and self.scale.coefficient:
            w = self.network.W(target.layer)
            penalty = [
                self.scale.coefficient * (2 * step * np.vdot(v, w) + step * step * np.vdot(v, v))
                for v in directions()
            ]
            changes = changes + np.asarray(penalty)
        return changes

    def penalty_slopes(self, target: Target, elements: Array, step: float, method: Method) -> Array:
        """∂R/∂θ for these elements as ``method`` measures it (0 off W, or without a penalty)."""
        if target.quantity != "W" or not self.scale.coefficient or self._yours(target):
            return np.zeros(elements.size)
        estimate = method.estimate(lambda h: self._penalty_changes(target, h, elements), step)
        return np.real(estimate.derivative)

    def _penalty_changes(self, target: Target, step: complex, elements: Array) -> Array | float:
        """ΔR = c((w + h)² − w²) = c(2wh + h²) for each perturbed element of W^j."""
        if target.quantity != "W" or not self.scale.coefficient:
            return 0.0
        w = self.network.W(target.layer).reshape(-1)[elements]
        return self.scale.coefficient * (2 * w * step + step * step)


class UserLossCalls:
    """``impl.loss`` as the finite differences call it: at θ + h·e, one call each, counted."""

    def __init__(
        self,
        backward: UserBackward,
        network: Network,
        x: Array,
        y: Array,
        *,
        limit: int = MAX_USER_LOSS_CALLS,
    ) -> None:
        self.backward = backward
        self.weights = list(network.weights)
        self.biases = list(network.biases)
        self.x, self.y = x, y
        self.limit = limit
        # Calls of the user's function per value of the loss: one per sample with per_sample.
        self.per_value = len(x) if backward.spec.per_sample else 1
        self.calls = 0
        self._lock = threading.Lock()
        self.base = float(np.real(self._value(self.weights, self.biases)))

    def changes(self, target: Target, step: complex, elements: Array) -> Array:
        """Your loss at θ + step·e minus at θ, for each flat element e of W^j or b^j."""
        out = np.empty(elements.size, dtype=np.result_type(step, float))
        for index, element in enumerate(elements):
            moved = np.zeros(self.shape(target), dtype=out.dtype)
            moved.reshape(-1)[element] = step
            out[index] = self._moved(target, moved) - self.base
        return out

    def along(self, target: Target, step: complex, directions: Iterable[Array]) -> Array:
        """Your loss at θ + step·v minus at θ, for each direction v."""
        return np.asarray([self._moved(target, step * v) - self.base for v in directions])

    def shape(self, target: Target) -> tuple[int, ...]:
        arrays = self.weights if target.quantity == "W" else self.biases
        return arrays[target.layer - 1].shape

    def _moved(self, target: Target, move: Array) -> complex:
        weights, biases = list(self.weights), list(self.biases)
        arrays = weights if target.quantity == "W" else biases
        arrays[target.layer - 1] = arrays[target.layer - 1] + move
        return self._value(weights, biases)

    def _value(self, weights: list[Array], biases: list[Array]) -> complex:
        with self._lock:
            if self.calls + self.per_value > self.limit:
                raise too_many_calls(self.calls + self.per_value, self.limit)
            self.calls += self.per_value
        return self.backward.loss_value(weights, biases, self.x, self.y)


def too_many_calls(calls: int, limit: int) -> BackpropCheckError:
    """The refusal of a check that would call the user's loss more than ``limit`` times."""
    return BackpropCheckError(
        f"checking against your loss calls it once per element and step: {calls:,} calls for "
        f"this network, more than the {limit:,} allowed. Check fewer elements with --sample K "
        "(check.sample) or --directions K (check.directions), or leave impl.loss out to check "
        "against the config's network.",
        key_path=("impl", "loss"),
    )
