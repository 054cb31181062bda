"""`explain`: every formula it prints, evaluated, is the function the check uses.

The formulas are read back as arithmetic (a small translation of the notation into numpy) and
compared with the registry's functions on random numbers, so a formula that says one thing while
the code does another fails here, and a reworded formula does not.
"""

from __future__ import annotations

import re
from itertools import product

import numpy as np
import pytest

from backprop_check import ConfigError
from backprop_check.core.activations import ACTIVATIONS, sigmoid
from backprop_check.core.backprop import SPECIAL_CASES
from backprop_check.core.losses import LOSSES
from backprop_check.judge.explain import explain
from backprop_check.spec.config import Config, load_config

from ..helpers import small_config

# The notation, as numpy reads it. Order matters: longer symbols first.
_NOTATION = (
    ("Σ_j y_j", "np.sum(y, axis=-1, keepdims=True)"),
    ("−", "-"),
    ("∘", "*"),
    ("²", "**2"),
    ("σ(", "sigmoid("),
    ("tanh(", "np.tanh("),
    (")(", ")*("),
)


def _evaluate(formula: str, **values: np.ndarray) -> np.ndarray:
    """The value of a formula as explain writes it, for the given z, a, y and n."""
    text = formula.split("  (=")[0]  # an aside such as "(= a − y for one-hot y)"
    for symbol, python in _NOTATION:
        text = text.replace(symbol, python)
    text = re.sub(r"(\w) (np\.sum)", r"\1 * \2", text)  # a Σ_j y_j: a product
    # "A where C, else B" and "A if C else B", elementwise.
    match = re.fullmatch(r"(.+) where (.+), else (.+)", text) or re.fullmatch(
        r"(.+) if (.+) else (.+)", text
    )
    if match:
        text = f"np.where({match[2]}, {match[1]}, {match[3]})"
    namespace = {"np": np, "sigmoid": sigmoid}
    return np.broadcast_to(eval(text, namespace, dict(values)), values["z"].shape)


def _pairings() -> list[tuple[str, str]]:
    """Every (output activation, loss) pairing a config accepts."""
    accepted = []
    for activation, loss in product(ACTIVATIONS, LOSSES):
        try:
            _config(activation, loss)
        except ConfigError:
            continue
        accepted.append((activation, loss))
    return accepted


def _config(output: str, loss: str, hidden: str = "relu") -> Config:
    layers = [{"units": 5, "activation": hidden}, {"units": 3, "activation": output}]
    return load_config(small_config(layers=layers, loss=loss))


def _values(rng: np.random.Generator) -> dict[str, np.ndarray]:
    z = rng.standard_normal((4, 3))
    z[0, 0] = 0.0  # at the kink, where "> 0" and ">= 0" differ
    return {"z": z, "a": sigmoid(rng.standard_normal((4, 3))), "y": rng.random((4, 3)), "n": 3}


@pytest.mark.parametrize(("output", "loss"), _pairings())
def test_every_pairing_gets_its_own_eq1(output: str, loss: str, rng) -> None:
    phi = explain(_config(output, loss))[0].lines[0]
    assert (phi.symbol, phi.shape) == ("φ²", "batch × 3")
    activation, loss_entry = ACTIVATIONS[output], LOSSES[loss]
    assert phi.source.startswith(f"{activation.display_name} + {loss_entry.display_name}, Eq. 1")
    values = _values(rng)
    # The closed forms hold where a = σ(z), and are computed from z where that keeps digits.
    values["a"] = activation.value(values["z"])
    special = SPECIAL_CASES.get((output, loss))
    if special is not None:
        anchors = [special.section] + [special.remark] * bool(special.remark)
        assert phi.source.endswith(", ".join(f"docs/derivation.md#{a}" for a in anchors))
        shown = phi.formula.replace("a²", "a").replace("z²", "z")
        expected = special.phi(values["z"], values["a"], values["y"])
        np.testing.assert_allclose(_evaluate(shown, **values), expected)
        return
    gradient = _evaluate(re.split(r"∇_a L = | and ", phi.formula)[1], **values)
    np.testing.assert_allclose(gradient, loss_entry.gradient(values["a"], values["y"]))
    if activation.derivative is None:
        assert "through the softmax Jacobian" in phi.source
        assert phi.formula.startswith("a² ∘ (g − a²·g)")  # Eq. 1 through diag(a) − a aᵀ
    else:
        derivative = _evaluate(phi.formula.split("σ'(z) = ")[1], **values)
        np.testing.assert_allclose(derivative, activation.derivative(values["z"]))


@pytest.mark.parametrize("hidden", [name for name, a in ACTIVATIONS.items() if a.hidden_ok])
def test_hidden_layers_use_eq2_with_their_derivative(hidden: str, rng) -> None:
    phi = explain(_config("softmax", "categorical_crossentropy", hidden))[1].lines[0]
    assert phi.formula.startswith("(W²)ᵀ φ² ∘ σ'(z¹) with σ'(z) = ")
    values = _values(rng)
    derivative = _evaluate(phi.formula.split("σ'(z) = ")[1], **values)
    np.testing.assert_allclose(derivative, ACTIVATIONS[hidden].derivative(values["z"]))
    activation = ACTIVATIONS[hidden]
    section = f", docs/derivation.md#{activation.section}" if activation.section else ""
    assert phi.source == f"{activation.display_name}, Eq. 2{section}"


def test_the_translation_can_fail() -> None:
    # A formula that says something else evaluates to something else.
    values = _values(np.random.default_rng(0))
    assert not np.allclose(
        _evaluate("1 if z >= 0 else 0", **values), _evaluate("1 if z > 0 else 0", **values)
    )
    assert not np.allclose(
        _evaluate("−y/a − (1 − y)/(1 − a)", **values),
        LOSSES["binary_crossentropy"].gradient(values["a"], values["y"]),
    )


def test_eq3_and_eq4_with_shapes_from_the_output_down() -> None:
    layers = explain(load_config(small_config()))
    assert [(layer.layer, layer.role) for layer in layers] == [
        (3, "output"),
        (2, "hidden"),
        (1, "hidden"),
    ]
    w2, b2 = layers[1].lines[1:]
    assert (w2.symbol, w2.formula, w2.source, w2.shape) == (
        "∇W²",
        "φ² (a¹)ᵀ, averaged over the batch",
        "Eq. 3",
        "5 × 6",
    )
    assert (b2.symbol, b2.formula, b2.source, b2.shape) == (
        "∇b²",
        "φ², averaged over the batch",
        "Eq. 4",
        "5",
    )
    assert layers[2].lines[1].formula.endswith("(a⁰ = x)")
    assert layers[0].to_dict()["equations"][0]["symbol"] == "φ³"


@pytest.mark.parametrize(("penalty", "term"), [({"l2": 0.1}, "2λW"), ({"half_l2": 0.1}, "λW")])
def test_a_declared_penalty_is_part_of_eq3(penalty: dict[str, float], term: str) -> None:
    document = {
        "input_size": 3,
        "layers": [{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "linear"}],
        "loss": "mse",
        "regularization": penalty,
    }
    lines = [line for layer in explain(load_config(document)) for line in layer.lines]
    w_lines = [line for line in lines if line.symbol.startswith("∇W")]
    kind = next(iter(penalty))
    assert [line.formula.split(", averaged over the batch")[1] for line in w_lines] == [
        f" + {term}² ({kind}: 0.1)",
        f" (a⁰ = x) + {term}¹ ({kind}: 0.1)",
    ]
    del document["regularization"]
    plain = [line for layer in explain(load_config(document)) for line in layer.lines]
    assert not any("λW" in line.formula for line in plain)
