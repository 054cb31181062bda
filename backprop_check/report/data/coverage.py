"""What a sampled or directional check saw of the gradients, and what that is worth."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Coverage", "direction_detection"]


@dataclass(frozen=True)
class Coverage:
    """How much of the gradients a sampled or directional check saw, and what that is worth.

    ``checked`` is elements judged (sample) or directions per tensor (directions), ``elements``
    every element of every tensor, ``detection`` the chance that a bug in one element is found.
    """

    mode: str
    checked: int
    elements: int
    tensors: int
    detection: float

    def statement(self) -> str:
        """E.g. 'checked 100 of 20,000 elements: a bug in one element is found with probability
        ≈ 0.5 %'."""
        chance = _percent(self.detection)
        if self.mode == "directions":
            return (
                f"checked {self.checked} random direction{'s' if self.checked != 1 else ''} in "
                f"each of {self.tensors} tensors ({self.elements:,} elements in all): a bug as "
                f"large as a typical element is found with probability {chance}"
            )
        return (
            f"checked {self.checked:,} of {self.elements:,} elements: a bug in one element is "
            f"found with probability {chance}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "checked": self.checked,
            "elements": self.elements,
            "detection_probability": self.detection,
            "statement": self.statement(),
        }


def direction_detection(*, elements: int, directions: int, rtol: float) -> float:
    """The chance that ``directions`` random directions catch a bug in one of ``elements``.

    With v uniform on the unit sphere and a bug δ in element i, ⟨a, v⟩ − ⟨n, v⟩ = δ vᵢ against
    ⟨n, v⟩ ≈ ‖n‖ (v·n/‖n‖): their ratio is |δ|/‖n‖ times a standard Cauchy variable, so one
    direction misses with chance (2/π)·atan(rtol·‖n‖/|δ|). For a bug as large as a typical
    (root-mean-square) element, ‖n‖/|δ| = √elements.
    """
    miss = 2 / math.pi * math.atan(rtol * math.sqrt(elements))
    return 1 - miss**directions


def _percent(chance: float) -> str:
    if chance >= 1:
        return "100 %"
    if chance > 0.999:
        return "> 99.9 %"
    if chance < 1e-4:
        return "< 0.01 %"
    return f"≈ {100 * chance:.3g} %" if chance >= 0.1 else f"≈ {100 * chance:.2g} %"
