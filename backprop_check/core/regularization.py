"""L2 penalties on the weights, as a registry: name → R(W) and its gradient, and how to show it.

A config's ``regularization: {l2: λ}`` adds R = λ Σ_j ‖W^j‖² to the loss that is checked (biases
excluded), ``{half_l2: λ}`` adds (λ/2) Σ_j ‖W^j‖². Both are c · Σ_j ‖W^j‖² with c = factor · λ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PENALTIES", "Penalty", "Regularization", "penalty_gradient", "penalty_value"]

Array = np.ndarray


@dataclass(frozen=True)
class Penalty:
    """One kind of L2 penalty: R = factor · λ · Σ_j ‖W^j‖², and the words that show it."""

    name: str
    factor: float
    formula: str
    # The term the gradient of R adds to Eq. 3, as the report labels the row.
    gradient_term: str


PENALTIES: dict[str, Penalty] = {
    penalty.name: penalty
    for penalty in (
        Penalty("l2", 1.0, "R = λ Σ_j ‖W^j‖²", "2λW"),
        Penalty("half_l2", 0.5, "R = (λ/2) Σ_j ‖W^j‖²", "λW"),
    )
}


@dataclass(frozen=True)
class Regularization:
    """A declared penalty: its kind (a key of :data:`PENALTIES`) and its strength λ ≥ 0."""

    kind: str
    strength: float

    @property
    def penalty(self) -> Penalty:
        return PENALTIES[self.kind]

    @property
    def coefficient(self) -> float:
        """c in R = c · Σ_j ‖W^j‖²."""
        return self.penalty.factor * self.strength

    @property
    def label(self) -> str:
        """How a config would declare it: 'l2: 0.05'."""
        return f"{self.kind}: {self.strength:g}"


def penalty_value(weights: Sequence[Array], coefficient: float) -> float:
    """R = c · Σ_j ‖W^j‖²   (biases excluded)"""
    return coefficient * float(sum(np.sum(w * w) for w in weights))


def penalty_gradient(w: Array, coefficient: float) -> Array:
    """∇_{W^j} R = 2c · W^j"""
    return 2.0 * coefficient * w
