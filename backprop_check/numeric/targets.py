"""What a finite difference perturbs: φ (through z^j), W^j or b^j of one layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["QUANTITIES", "Quantity", "Target"]

Quantity = Literal["phi", "W", "b"]
QUANTITIES: tuple[Quantity, ...] = ("phi", "W", "b")


@dataclass(frozen=True)
class Target:
    """What is perturbed: φ (through z^layer), W^layer or b^layer."""

    layer: int
    quantity: Quantity

    def equation(self, depth: int) -> int:
        """The derivation's equation that produces this quantity's analytic value."""
        if self.quantity == "phi":
            return 1 if self.layer == depth else 2
        return 3 if self.quantity == "W" else 4
