"""Config loading: the documented keys, numbers as YAML writes them, and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop_check import CheckOptions, ConfigError, LayerSpec, load_config

from ..helpers import CONFIGS, FULL, small_config, write


def test_the_documented_example_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    assert config.input_size == 4
    assert config.layers == (
        LayerSpec(16, "relu"),
        LayerSpec(8, "sigmoid"),
        LayerSpec(3, "softmax"),
    )
    assert config.loss == "categorical_crossentropy"
    assert (config.batch_size, config.seed, config.init) == (8, 0, "he")
    assert config.check == CheckOptions(method="central", eps=1e-6, rtol=1e-5, atol=1e-8)
    assert config.check.mode == "full"
    assert config.source == str(tmp_path / "config.yaml")


def test_defaults() -> None:
    config = load_config(
        {"input_size": 2, "layers": [{"units": 1, "activation": "linear"}], "loss": "mse"}
    )
    assert (config.batch_size, config.seed, config.init) == (8, 0, "auto")
    assert config.check == CheckOptions()
    assert (config.check.method, config.check.mode) == ("central", "full")
    # Unset tolerances take the method's measured defaults.
    assert (
        config.check.step,
        config.check.relative_tolerance,
        config.check.absolute_tolerance,
    ) == (
        1e-5,
        1e-5,
        1e-8,
    )
    assert load_config(small_config(check={"method": "complex-step"})).check.step == 1e-20
    assert config.source == "<dict>"


def test_yaml_1_1_style_exponents_are_numbers(tmp_path: Path) -> None:
    """PyYAML would read `1e-6` as a string; we read it as the number it is."""
    config = load_config(
        write(
            tmp_path, FULL.replace("eps: 1e-6", "eps: 1E-7").replace("atol: 1e-8", "atol: '2e-8'")
        )
    )
    assert config.check.eps == 1e-7
    assert config.check.atol == 2e-8


def test_loss_aliases_are_canonicalised() -> None:
    assert load_config(small_config(loss="cce")).loss == "categorical_crossentropy"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_load(path: Path) -> None:
    assert load_config(path).layers


# Each case: (file text, expected message after "<path>, ").
ERRORS = [
    (
        FULL.replace("sigmoid", "sigmod"),
        "line 4, column 28, key 'layers[1].activation': unknown activation 'sigmod'. "
        "Expected one of: linear, relu, sigmoid, softmax, tanh. Did you mean 'sigmoid'?",
    ),
    (
        FULL.replace("layers:", "layer:"),
        "line 2, column 1, key 'layer': unknown key 'layer'. Did you mean 'layers'? "
        "Allowed here: input_size, layers, loss, batch_size, seed, init, dtype, data, activations, "
        "losses, check, impl, regularization.",
    ),
    (
        FULL.replace("eps: 1e-6", "eps: 0"),
        "line 11, column 8, key 'check.eps': expected a finite number > 0 and < 1, found 0.",
    ),
    (
        FULL.replace("eps: 1e-6", "epsilon: 1e-6"),
        "line 11, column 3, key 'check.epsilon': unknown key 'epsilon'. Did you mean 'eps'? "
        "Allowed here: method, eps, rtol, atol, sample, directions, kinks.",
    ),
    (
        FULL.replace("units: 8,", "units: -8,"),
        "line 4, column 13, key 'layers[1].units': expected a whole number ≥ 1, found -8.",
    ),
    (
        FULL.replace("units: 8,", "units: 8.5,"),
        "line 4, column 13, key 'layers[1].units': expected a whole number ≥ 1, found 8.5.",
    ),
    (
        FULL.replace("- {units: 8, activation: sigmoid}", "- {activation: sigmoid}"),
        "line 4, column 5, key 'layers[1]': layer 2 is missing 'units'.",
    ),
    (
        FULL.replace("activation: relu", "activation: softmax"),
        "line 3, column 29, key 'layers[0].activation': 'softmax' is only allowed in the output "
        "(last) layer (see docs/derivation.md#softmax); layer 1 of 3 is hidden.",
    ),
    (
        FULL.replace("categorical_crossentropy", "hinge"),
        "line 6, column 7, key 'loss': unknown loss 'hinge'. Expected one of: binary_crossentropy, "
        "categorical_crossentropy, half_sse, mse (or an alias: bce, binary_cross_entropy, "
        "categorical_cross_entropy, cce, cross_entropy, crossentropy, half_squared_error, "
        "mean_squared_error, quadratic, quadratic_cost, squared_error).",
    ),
    (
        FULL.replace("activation: softmax", "activation: relu"),
        "line 6, column 7, key 'loss': 'categorical_crossentropy' takes logs of the outputs, "
        "so the last layer must produce values in (0, 1) (sigmoid or softmax); it is 'relu'.",
    ),
    (
        FULL.replace("init: he", "init: glorot"),
        "line 9, column 7, key 'init': unknown init scheme 'glorot'. "
        "Expected one of: auto, he, xavier, normal.",
    ),
    (
        FULL.replace("seed: 0", "seed: yes"),
        "line 8, column 7, key 'seed': expected a whole number ≥ 0, found true (a boolean).",
    ),
    (
        "input_size: 4\nloss: mse\n",
        "line 1, column 1: missing required key 'layers'. Required: input_size, layers, loss.",
    ),
    (
        "input_size: 4\nlayers: []\nloss: mse\n",
        "line 2, column 9, key 'layers': expected a non-empty list of layers",
    ),
    (
        "- 1\n- 2\n",
        "line 1, column 1: expected a mapping of keys such as input_size, layers, loss, "
        "found a list.",
    ),
    (
        FULL.split("check:")[0] + "check: 5\n",
        "line 10, column 8, key 'check': expected a mapping with keys such as eps, rtol, atol, "
        "found 5.",
    ),
    (
        FULL.replace("eps: 1e-6", "method: centered"),
        "line 11, column 11, key 'check.method': unknown method 'centered'. "
        "Expected one of: central, forward, backward, complex-step, richardson. "
        "Did you mean 'central'?",
    ),
    (
        FULL.replace("eps: 1e-6", "sample: 3\n  directions: 2"),
        "line 12, column 3, key 'check.directions': choose either sample or directions, not both.",
    ),
    (
        FULL.replace("eps: 1e-6", "directions: 0"),
        "line 11, column 15, key 'check.directions': expected a whole number ≥ 1, found 0.",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_errors_name_file_key_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    separator = ": " if expected.startswith("is ") else ", "
    assert str(caught.value).startswith(f"{path}{separator}{expected}")
