"""The equations of a network, layer by layer, as plain data (``bpcheck explain``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ExplainedLayer", "Line"]


@dataclass(frozen=True)
class Line:
    """One equation: what it computes, how, where it comes from, and the result's shape."""

    symbol: str
    formula: str
    source: str
    shape: str


@dataclass(frozen=True)
class ExplainedLayer:
    layer: int
    units: int
    activation: str
    role: str
    lines: tuple[Line, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "layer": self.layer,
            "units": self.units,
            "activation": self.activation,
            "role": self.role,
            "equations": [line.__dict__ for line in self.lines],
        }
