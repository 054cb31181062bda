"""Which failing row is the cause, and which failing rows only inherit its error.

Errors flow backwards: φ^j is computed from φ^{j+1}, and ∇W^j, ∇b^j from φ^j. So a wrong φ^k spoils
every φ^j below it (j < k) and every ∇W^j, ∇b^j with j ≤ k; such a row "follows from φ^k", and
its own hint would describe the inherited error, not a mistake of its own. Rows that depend on no
failing φ (a ∇W^j or ∇b^j whose φ^j passes, a φ^j whose φ^{j+1} passes) fail on their own.

The cause is the first failure met going from the output layer down, φ before ∇W and ∇b: the row
the diagnosis names. A failing forward row (your loss against the config's network) comes before
them all, and every failing row follows from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.notation import quantity_symbol
from ..data import CheckReport, QuantityCheck

__all__ = ["Causes", "causes", "failing", "row_symbol"]

_QUANTITIES = ("phi", "W", "b")
_FORWARD = "the forward row"


def row_symbol(check: QuantityCheck) -> str:
    """'φ²', '∇W²', '∇b²'; a row of another kind (such as a forward check) by its name."""
    if check.quantity in _QUANTITIES:
        return quantity_symbol(check.quantity, check.layer)
    return check.quantity


def failing(check: QuantityCheck) -> bool:
    """A row that was checked and did not pass (a skipped row is neither)."""
    return check.mode != "skipped" and not check.passed


@dataclass(frozen=True)
class Causes:
    """The cause of a failing report, and for each other failing row what it follows from."""

    cause: QuantityCheck | None = None
    # (layer, quantity) of a row that only inherits an error → the symbol of the φ it inherits from.
    follows: dict[tuple[int, str], str] = field(default_factory=dict)
    # Failing rows, other than the cause, that depend on no failing φ.
    independent: tuple[QuantityCheck, ...] = ()

    def source_of(self, check: QuantityCheck) -> str | None:
        """The symbol of the φ whose error ``check`` inherits, or None."""
        return self.follows.get((check.layer, check.quantity))


def causes(report: CheckReport) -> Causes:
    """The cause and the consequences of ``report``'s failures (none when it passes)."""
    ordered = _backward_order(report)
    failures = [check for check in ordered if failing(check)]
    if report.forward is not None and not report.forward.passed:
        # Your loss is not the config's network: every failing row compares against it, so
        # each inherits that difference; the forward row is the cause (the diagnosis says it).
        return Causes(follows={(c.layer, c.quantity): _FORWARD for c in failures})
    if not failures:
        return Causes()
    wrong_phi = _wrong_phi_layers(report)
    follows: dict[tuple[int, str], str] = {}
    independent = []
    for check in failures[1:]:
        upstream = _upstream_phi(check, wrong_phi)
        if upstream is None:
            independent.append(check)
        else:
            follows[(check.layer, check.quantity)] = quantity_symbol("phi", upstream)
    return Causes(cause=failures[0], follows=follows, independent=tuple(independent))


def _backward_order(report: CheckReport) -> list[QuantityCheck]:
    """Rows in the order errors flow: other kinds of rows first, then layer J down to 1, φ first."""
    rank = {quantity: i for i, quantity in enumerate(_QUANTITIES)}
    rows = [check for layer in report.layers for check in layer.checks]
    return sorted(
        rows,
        key=lambda c: (c.quantity in rank, -c.layer, rank.get(c.quantity, -1)),
    )


def _wrong_phi_layers(report: CheckReport) -> set[int]:
    """Layers whose φ is known wrong: its row fails, or it was not checked and both ∇W and ∇b of
    the layer fail (∇b^j is the batch mean of φ^j, so together they say φ^j is wrong)."""
    by_key = {(c.layer, c.quantity): c for layer in report.layers for c in layer.checks}
    wrong = set()
    for (layer, quantity), check in by_key.items():
        if quantity != "phi":
            continue
        if failing(check):
            wrong.add(layer)
        elif check.mode == "skipped":
            grads = [by_key.get((layer, q)) for q in ("W", "b")]
            if all(g is not None and failing(g) for g in grads):
                wrong.add(layer)
    return wrong


def _upstream_phi(check: QuantityCheck, wrong_phi: set[int]) -> int | None:
    """The highest layer k whose wrong φ^k feeds ``check``, or None."""
    if check.quantity not in _QUANTITIES:
        return None
    feeding = [
        k for k in wrong_phi if k > check.layer or (k == check.layer and check.quantity != "phi")
    ]
    return max(feeding, default=None)
