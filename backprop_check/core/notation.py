"""The seed's notation in plain text: φ³, ∇W², a¹."""

from __future__ import annotations

__all__ = ["quantity_symbol", "superscript"]

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(number: int) -> str:
    return str(number).translate(_SUPERSCRIPTS)


def quantity_symbol(quantity: str, layer: int) -> str:
    """'φ²', '∇W²' or '∇b²'."""
    prefix = {"phi": "φ", "W": "∇W", "b": "∇b"}[quantity]
    return prefix + superscript(layer)
