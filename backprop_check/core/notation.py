"""The derivation's notation in plain text (φ³, ∇W², a¹), and links to where it is written."""

from __future__ import annotations

__all__ = ["DERIVATION", "derivation_link", "quantity_symbol", "superscript"]

# Our own write-up of the derivation: what every user-facing reference to it points at.
DERIVATION = "docs/derivation.md"

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(number: int) -> str:
    return str(number).translate(_SUPERSCRIPTS)


def quantity_symbol(quantity: str, layer: int) -> str:
    """'φ²', '∇W²' or '∇b²'."""
    prefix = {"phi": "φ", "W": "∇W", "b": "∇b"}[quantity]
    return prefix + superscript(layer)


def derivation_link(anchor: str) -> str:
    """Where the docs write something out: 'docs/derivation.md#relu-mse' for 'relu-mse'."""
    return f"{DERIVATION}#{anchor}"
