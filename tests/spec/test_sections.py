"""The network's sections validated directly: each refusal keyed by the path to blame."""

from __future__ import annotations

import pytest

from backprop_check.errors import BackpropCheckError
from backprop_check.spec.model import LayerSpec
from backprop_check.spec.sections import (
    validate_activations,
    validate_check,
    validate_layers,
    validate_loss,
    validate_losses,
)


def _refusal(function, *args) -> BackpropCheckError:
    with pytest.raises(BackpropCheckError) as caught:
        function(*args)
    return caught.value


def test_layers_become_layer_specs() -> None:
    layers = validate_layers(
        [{"units": 4, "activation": "relu"}, {"units": 2, "activation": "softmax"}], {}
    )
    assert layers == (LayerSpec(4, "relu"), LayerSpec(2, "softmax"))


@pytest.mark.parametrize(
    ("layers", "path", "phrase"),
    [
        ([], ("layers",), "non-empty list of layers"),
        ([{"units": 3}], ("layers", 0), "layer 1 is missing 'activation'"),
        ([{"units": 3, "activation": "relu", "bias": 1}], ("layers", 0, "bias"), "unknown key"),
        ([{"units": 0, "activation": "relu"}], ("layers", 0, "units"), "whole number ≥ 1"),
        ([{"units": 3, "activation": "relux"}], ("layers", 0, "activation"), "'relu'?"),
        ([{"units": 1, "activation": "softmax"}], ("layers", 0, "units"), "softmax over 1 unit"),
        (
            [{"units": 3, "activation": "softmax"}, {"units": 2, "activation": "relu"}],
            ("layers", 0, "activation"),
            "only allowed in the output",
        ),
    ],
)
def test_bad_layers_are_refused_at_their_path(layers: list, path: tuple, phrase: str) -> None:
    error = _refusal(validate_layers, layers, {})
    assert error.key_path == path
    assert phrase in error.message


def test_a_config_activation_is_a_known_name() -> None:
    swish = validate_activations(
        {"swish": {"f": "x * sigmoid(x)", "df": "x * sigmoid(x) * sigmoid(-x) + sigmoid(x)"}}
    )
    assert validate_layers([{"units": 2, "activation": "swish"}], swish)[0].activation == "swish"


def test_loss_aliases_resolve_and_must_fit_the_output() -> None:
    layers = (LayerSpec(3, "softmax"),)
    assert validate_loss("cce", layers, {}, {}) == "categorical_crossentropy"
    error = _refusal(validate_loss, "bce", (LayerSpec(3, "relu"),), {}, {})
    assert error.key_path == ("loss",)
    assert "it is 'relu'" in error.message


def test_check_options() -> None:
    assert validate_check({"eps": 1e-6, "kinks": "fail"}) == {"eps": 1e-6, "kinks": "fail"}
    error = _refusal(validate_check, {"sample": 2, "directions": 2})
    assert (error.key_path, error.at_key) == (("check", "directions"), True)


@pytest.mark.parametrize(
    ("losses", "path", "phrase"),
    [
        ({"mse": {"f": "y", "df": "1"}}, ("losses", "mse"), "already a built-in loss"),
        ({"l 1": {"f": "y", "df": "1"}}, ("losses", "l 1"), "not a usable name"),
        ({"l1": {"df": "sign(yhat - y)"}}, ("losses", "l1"), "is missing 'f'"),
        ({"l1": {"f": "abs(yhat - q)", "df": "1"}}, ("losses", "l1", "f"), "unknown name 'q'"),
        (
            {"l1": {"f": "yhat", "df": "1", "reduce": "max"}},
            ("losses", "l1", "reduce"),
            "unknown reduce 'max'",
        ),
    ],
)
def test_bad_losses_are_refused_at_their_path(losses: dict, path: tuple, phrase: str) -> None:
    error = _refusal(validate_losses, losses)
    assert error.key_path == path
    assert phrase in error.message
