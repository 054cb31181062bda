"""The equations a config's network is checked with, written out layer by layer.

For each layer: how φ^j is computed (Eq. 1 at the output, with the derivation's special case for the
pairing when there is one; Eq. 2 below), then Eq. 3 and Eq. 4, each with its shape.
"""

from __future__ import annotations

from ..core.backprop import SPECIAL_CASES
from ..core.notation import derivation_link
from ..core.notation import superscript as sup
from ..report.data.explain import ExplainedLayer, Line
from ..spec.config import Config

__all__ = ["ExplainedLayer", "Line", "explain"]


def explain(config: Config) -> tuple[ExplainedLayer, ...]:
    """The equations of every layer, from the output layer J down to layer 1."""
    depth = len(config.layers)
    sizes = [config.input_size, *(layer.units for layer in config.layers)]
    # The declared penalty's gradient, part of Eq. 3 as the check compares it.
    penalty = config.regularization
    term = f" + {penalty.penalty.gradient_term}{{j}} ({penalty.label})" if penalty else ""
    layers = []
    for j in range(depth, 0, -1):
        spec = config.layers[j - 1]
        phi = _output_phi(config, j) if j == depth else _hidden_phi(config, j)
        layers.append(
            ExplainedLayer(
                layer=j,
                units=spec.units,
                activation=spec.activation,
                role="output" if j == depth else "hidden",
                lines=(
                    Line(f"φ{sup(j)}", phi[0], phi[1], f"batch × {sizes[j]}"),
                    Line(
                        f"∇W{sup(j)}",
                        f"φ{sup(j)} (a{sup(j - 1)})ᵀ, averaged over the batch"
                        + (" (a⁰ = x)" if j == 1 else "")
                        + term.format(j=sup(j)),
                        "Eq. 3",
                        f"{sizes[j]} × {sizes[j - 1]}",
                    ),
                    Line(
                        f"∇b{sup(j)}", f"φ{sup(j)}, averaged over the batch", "Eq. 4", str(sizes[j])
                    ),
                ),
            )
        )
    return tuple(layers)


def _output_phi(config: Config, j: int) -> tuple[str, str]:
    activation = config.activation(config.layers[j - 1].activation)
    loss = config.loss_function()
    pairing = f"{activation.display_name} + {loss.display_name}"
    special = SPECIAL_CASES.get((activation.name, loss.name))
    if special is not None:
        formula = special.formula.replace("a ", f"a{sup(j)} ").replace("z ", f"z{sup(j)} ")
        formula = formula.replace("(y − a)", f"(y − a{sup(j)})")
        source = ", ".join(
            derivation_link(anchor) for anchor in (special.section, special.remark) if anchor
        )
        return formula, f"{pairing}, Eq. 1, {source}"
    gradient = loss.gradient_formula.replace("∇_a L = ", "")
    if activation.derivative is None:
        return (
            f"a{sup(j)} ∘ (g − a{sup(j)}·g) with g = ∇_a L = {gradient}",
            f"{pairing}, Eq. 1 through the softmax Jacobian",
        )
    return (
        f"∇_a L ∘ σ'(z{sup(j)}) with ∇_a L = {gradient} and σ'(z) = "
        f"{activation.derivative_formula}",
        f"{pairing}, Eq. 1",
    )


def _hidden_phi(config: Config, j: int) -> tuple[str, str]:
    activation = config.activation(config.layers[j - 1].activation)
    source = f"{activation.display_name}, Eq. 2"
    if activation.section is not None:
        source += f", {derivation_link(activation.section)}"
    return (
        f"(W{sup(j + 1)})ᵀ φ{sup(j + 1)} ∘ σ'(z{sup(j)}) with σ'(z) = "
        f"{activation.derivative_formula}",
        source,
    )
