"""One sentence that names the first failing equation, counting from the output layer.

Errors flow backwards: a wrong φ^{j+1} spoils φ^j, ∇W^j and ∇b^j too. So the first failure met
going from layer J down, φ before ∇W and ∇b, is the one to fix first.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.notation import quantity_symbol as sym
from ..core.notation import superscript as sup
from ..report.data import LayerReport, QuantityCheck

__all__ = ["diagnose"]


def diagnose(
    layers: Sequence[LayerReport], *, loss: str, output_special_case: str | None = None
) -> str:
    """Plain-text diagnosis of a check, from its per-layer results."""
    ordered = [check for layer in reversed(layers) for check in layer.checks]
    failing = [check for check in ordered if not check.passed]
    if not failing:
        return (
            f"All {len(ordered)} checks passed: Equations 1–4 agree with the finite "
            "differences at every layer."
        )
    first = failing[0]
    by_layer = {layer.layer: layer for layer in layers}
    sentence = _explain(first, by_layer, loss=loss, output_special_case=output_special_case)
    if first.sources:
        sentence += (
            f" {sym(first.quantity, first.layer)} came from your {' and '.join(first.sources)}."
        )
    if first.hint:
        sentence += f" {first.hint}"
    others = len(failing) - 1
    if others:
        sentence += f" ({others} more check{'s' if others > 1 else ''} fail further down.)"
    return sentence


def _explain(
    check: QuantityCheck,
    by_layer: dict[int, LayerReport],
    *,
    loss: str,
    output_special_case: str | None,
) -> str:
    j = check.layer
    layer = by_layer[j]
    depth = max(by_layer)
    if check.unresolved:
        reason = check.note.removeprefix("no verdict: ")
        return f"{sym(check.quantity, j)} cannot be judged (Eq. {check.equation}): {reason}"
    if check.quantity == "phi" and j == depth:
        if output_special_case:
            what = (
                f"the special case φ{sup(j)} = {output_special_case} "
                f"for {layer.activation} + {loss}"
            )
        else:
            what = (
                f"∇_a L of {loss} and σ' of {layer.activation} in φ{sup(j)} = ∇_a L ∘ σ'(z{sup(j)})"
            )
        return f"{sym('phi', j)} fails at the output layer: the error is in Eq. 1 — check {what}."
    if check.quantity == "phi":
        return (
            f"{sym('phi', j + 1)} passes but {sym('phi', j)} fails: the error is in Eq. 2 between "
            f"layers {j + 1} and {j} — check σ' of layer {j} ({layer.activation}, evaluated at "
            f"z{sup(j)}) or the transpose of W{sup(j + 1)}."
        )
    if check.quantity == "W":
        return (
            f"{sym('phi', j)} passes but {sym('W', j)} fails: the error is in Eq. 3 at layer {j} — "
            f"check ∇W{sup(j)} = φ{sup(j)} (a{sup(j - 1)})ᵀ: the previous layer's activations "
            f"a{sup(j - 1)}, the orientation (units of layer {j} × units of layer {j - 1}) and "
            "the mean over the batch."
        )
    return (
        f"{sym('phi', j)} passes but {sym('b', j)} fails: the error is in Eq. 4 at layer {j} — "
        f"check ∇b{sup(j)} = φ{sup(j)}, averaged over the batch."
    )
