"""Builders shared by the tests: small config dicts and file writers."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from backprop_check.spec.config import load_config

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))

_LOADED = {path: load_config(path) for path in CONFIGS}
# Configs whose activations and loss are all built in (no formulas of their own).
BUILT_IN_CONFIGS = [
    path for path, config in _LOADED.items() if not config.custom_activations | config.custom_losses
]
# Configs the complex step applies to: formulas with abs, where, ... are not complex-analytic.
COMPLEX_STEP_CONFIGS = [
    path
    for path, config in _LOADED.items()
    if config.loss_function().complex_safe
    and all(config.activation(layer.activation).complex_safe for layer in config.layers)
]


def small_config(**changes: Any) -> dict[str, Any]:
    """A three-layer network dict touching relu, sigmoid and softmax + CCE."""
    config: dict[str, Any] = {
        "input_size": 4,
        "layers": [
            {"units": 6, "activation": "relu"},
            {"units": 5, "activation": "sigmoid"},
            {"units": 3, "activation": "softmax"},
        ],
        "loss": "categorical_crossentropy",
        "batch_size": 5,
        "seed": 7,
    }
    config.update(changes)
    return config


def square_config(**changes: Any) -> dict[str, Any]:
    """Equal widths, so a missing transpose of W still has the right shape and must be caught."""
    config: dict[str, Any] = {
        "input_size": 5,
        "layers": [
            {"units": 5, "activation": "tanh"},
            {"units": 5, "activation": "sigmoid"},
            {"units": 5, "activation": "sigmoid"},
        ],
        "loss": "binary_crossentropy",
        "batch_size": 4,
        "seed": 11,
    }
    config.update(changes)
    return config


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def broken_sigmoid(monkeypatch: Any) -> None:
    """σ' replaced by σ for this test: Eq. 2 breaks below every sigmoid layer."""
    from backprop_check.core.activations import ACTIVATIONS

    sigmoid = ACTIVATIONS["sigmoid"]
    monkeypatch.setitem(
        ACTIVATIONS, "sigmoid", dataclasses.replace(sigmoid, derivative=sigmoid.value)
    )


def failing(report: Any) -> list[tuple[int, str]]:
    """Failing (layer, quantity) rows from the output layer down, as the diagnosis reads them."""
    return [
        (c.layer, c.quantity)
        for layer in reversed(report.layers)
        for c in layer.checks
        if not c.passed
    ]


def run_with(config: Any, analytic: Any = None, **overrides: Any) -> Any:
    """The check of ``config`` (a dict, path or Config) with its analytic side replaced.

    ``analytic`` is what the product takes: a Steps (some equations replaced) or a function of
    (network, trace, y) giving every gradient, as selftest injects its mutants.
    """
    from backprop_check.judge.checker import Checker
    from backprop_check.spec.config import Config

    loaded = config if isinstance(config, Config) else load_config(config)
    return Checker(loaded.with_overrides(**overrides), analytic=analytic).run()


def derivative_of(name: str, derivative: Any, *, layers: Any = None) -> Any:
    """Steps whose σ' of the activation ``name`` is ``derivative(z)`` (in ``layers`` only, when
    given); every other σ' built in."""
    from backprop_check.core.backprop import Steps

    def replaced(activation: Any, z: Any, *, layer: int) -> Any:
        if activation.name == name and (layers is None or layer in layers):
            return derivative(z)
        return activation.derivative(z)

    return Steps(activation_derivative=replaced)
