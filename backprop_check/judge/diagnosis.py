"""One sentence that names the first failing equation, counting from the output layer.

Errors flow backwards: a wrong φ^{j+1} spoils φ^j, ∇W^j and ∇b^j too. So the first failure met
going from layer J down, φ before ∇W and ∇b, is the one to fix first; a failing forward row (your
loss against the config's network) comes before all of them.

When φ is not checked (a backward that returns only ∇W and ∇b), ∇W and ∇b tell the equation all
the same: ∇b^j is the batch mean of φ^j, so ∇W^j and ∇b^j failing together means φ^j is wrong
(Eq. 1 at the output, Eq. 2 below), ∇W^j alone Eq. 3, ∇b^j alone Eq. 4; except when every failing
∇W and ∇b is off by exactly the batch size B (or 1/B): that is the reduction, Eq. 3 and 4.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.notation import quantity_symbol as sym
from ..core.notation import superscript as sup
from ..report.data import FirstFailure, ForwardCheck, LayerReport, QuantityCheck

__all__ = ["diagnose"]


def diagnose(
    layers: Sequence[LayerReport],
    *,
    loss: str,
    output_special_case: str | None = None,
    forward: ForwardCheck | None = None,
    batch_size: int = 1,
) -> tuple[str, FirstFailure | None]:
    """Plain-text diagnosis of a check, and the row it names, from its per-layer results."""
    ordered = [check for layer in reversed(layers) for check in layer.checks]
    checked = [check for check in ordered if not check.skipped]
    failing = [check for check in checked if not check.passed]
    if forward is not None and not forward.passed:
        others = f" ({len(failing)} rows fail too.)" if failing else ""
        hint = f" {forward.hint}" if forward.hint else ""
        return (
            f"The forward row fails: {forward.sentence}.{hint}{others}",
            FirstFailure(layer=None, quantity="forward", equation=None),
        )
    if not failing:
        return _all_passed(ordered, checked), None
    by_layer = {layer.layer: layer for layer in layers}
    first, failure, sentence = _first(failing, by_layer, batch_size, loss, output_special_case)
    if first.sources:
        sentence += (
            f" {sym(first.quantity, first.layer)} came from your {' and '.join(first.sources)}."
        )
    if first.hint:
        sentence += f" {first.hint}"
    others = len(failing) - 1
    if others:
        sentence += f" ({others} more check{'s' if others > 1 else ''} fail further down.)"
    return sentence, failure


def _all_passed(ordered: list[QuantityCheck], checked: list[QuantityCheck]) -> str:
    if len(checked) == len(ordered):
        return (
            f"All {len(ordered)} checks passed: Equations 1–4 agree with the finite "
            "differences at every layer."
        )
    skipped = [check for check in ordered if check.skipped]
    names = {"phi": "φ", "W": "∇W", "b": "∇b"}
    kinds = sorted({names[check.quantity] for check in skipped})
    why = skipped[0].note.removeprefix("not checked: ").rstrip(".")
    return (
        f"All {len(checked)} checked rows pass; {len(skipped)} {'/'.join(kinds)} rows not "
        f"checked: {why}."
    )


def _first(
    failing: list[QuantityCheck],
    by_layer: dict[int, LayerReport],
    batch_size: int,
    loss: str,
    output_special_case: str | None,
) -> tuple[QuantityCheck, FirstFailure, str]:
    """The row to fix first, the failure it names, and the sentence that explains it."""
    first = failing[0]
    j = first.layer
    depth = max(by_layer)
    layer = by_layer[j]
    phi_checked = not any(check.quantity == "phi" and check.skipped for check in layer.checks)
    if phi_checked and first.sources and _batch_factor(failing, batch_size):
        w = next(check for check in failing if check.quantity in ("W", "b"))
        return w, FirstFailure(w.layer, "W", 3), _reduction(failing, batch_size)
    if first.unresolved or first.quantity == "phi" or phi_checked:
        sentence = _explain(first, layer, depth, loss=loss, output_special_case=output_special_case)
        return first, FirstFailure(j, first.quantity, first.equation), sentence
    params = {check.quantity: check for check in layer.checks if check.quantity in ("W", "b")}
    both = all(not check.passed for check in params.values())
    if both and _batch_factor(failing, batch_size):
        return first, FirstFailure(j, "W", 3), _reduction(failing, batch_size)
    if both:
        equation = 1 if j == depth else 2
        sentence = _phi_from_parameters(j, layer, depth, loss)
        return first, FirstFailure(j, "phi", equation), sentence
    sentence = _explain(first, layer, depth, loss=loss, output_special_case=None, phi=False)
    return first, FirstFailure(j, first.quantity, first.equation), sentence


def _batch_factor(failing: list[QuantityCheck], batch_size: int) -> bool:
    """Every failing ∇W and ∇b (and φ your backward returned) is off by exactly B, or every one
    by exactly 1/B (B > 1), ∇W and ∇b among them: a reduction scales both (∇b alone off by B is
    a bias summed, Eq. 4)."""
    rows = [c for c in failing if c.quantity in ("W", "b") or (c.quantity == "phi" and c.sources)]
    kinds = {c.quantity for c in rows}
    if batch_size <= 1 or len(rows) != len(failing) or not {"W", "b"} <= kinds:
        return False
    return any(
        all(check.factor is not None and np.isclose(check.factor, target) for check in rows)
        for target in (batch_size, 1 / batch_size)
    )


def _reduction(failing: list[QuantityCheck], batch_size: int) -> str:
    factor = failing[0].factor or 0.0
    summed = factor > 1
    rows = "φ, ∇W and ∇b" if any(c.quantity == "phi" for c in failing) else "∇W and ∇b"
    return (
        f"Every failing {rows} is {'B' if summed else '1/B'} × the finite differences "
        f"(B = {batch_size}, the batch size): the error is in the reduction of Eq. 3 and Eq. 4 — "
        f"your code {'sums over' if summed else 'averages'} the batch where the config declares "
        f"reduce: {'mean' if summed else 'sum'}; declare reduce: {'sum' if summed else 'mean'}, "
        "or your config does not match your code."
    )


def _phi_from_parameters(j: int, layer: LayerReport, depth: int, loss: str) -> str:
    """∇W^j and ∇b^j both fail while φ^j is not checked: φ^j is what they share."""
    shared = (
        f"{sym('W', j)} and {sym('b', j)} both fail, and ∇b{sup(j)} is the batch mean of "
        f"φ{sup(j)} (not checked: your backward returns no φ), so φ{sup(j)} is wrong"
    )
    if j == depth:
        return (
            f"{shared}: the error is in Eq. 1 — check ∇_a L of {loss} and σ' of "
            f"{layer.activation} in φ{sup(j)} = ∇_a L ∘ σ'(z{sup(j)}), or their sign."
        )
    return (
        f"{shared}, while the layer above passes: the error is in Eq. 2 between layers {j + 1} "
        f"and {j} — check σ' of layer {j} ({layer.activation}, evaluated at z{sup(j)}) or the "
        f"transpose of W{sup(j + 1)}."
    )


def _explain(
    check: QuantityCheck,
    layer: LayerReport,
    depth: int,
    *,
    loss: str,
    output_special_case: str | None,
    phi: bool = True,
) -> str:
    j = check.layer
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
    # Without φ, the other parameter row of the layer stands in for it: it passes.
    good = sym("phi", j) if phi else sym("b" if check.quantity == "W" else "W", j)
    if check.quantity == "W":
        return (
            f"{good} passes but {sym('W', j)} fails: the error is in Eq. 3 at layer {j} — "
            f"check ∇W{sup(j)} = φ{sup(j)} (a{sup(j - 1)})ᵀ: the previous layer's activations "
            f"a{sup(j - 1)}, the orientation (units of layer {j} × units of layer {j - 1}) and "
            "the mean over the batch."
        )
    return (
        f"{good} passes but {sym('b', j)} fails: the error is in Eq. 4 at layer {j} — "
        f"check ∇b{sup(j)} = φ{sup(j)}, averaged over the batch."
    )
