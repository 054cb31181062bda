"""The public entry point: build the network a config describes, check Equations 1–4."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .backprop import SPECIAL_CASES, Gradients, backward
from .compare import compare
from .config import Config, load_config
from .diagnosis import diagnose
from .finite_differences import central_difference
from .losses import get_loss
from .network import Network, Trace, init_network, random_batch
from .perturbation import QUANTITIES, Target, perturbed_losses
from .report import CheckReport, LayerReport, QuantityCheck

__all__ = ["build_problem", "check", "run_check"]

Array = np.ndarray


def check(config: Config | str | Path | Mapping[str, Any], **overrides: Any) -> CheckReport:
    """Check the gradients of the network ``config`` describes (a path, a mapping or a Config).

    Keyword overrides: eps, rtol, atol, seed, batch_size (as the command-line options).
    """
    if not isinstance(config, Config):
        config = load_config(config)
    return run_check(config.with_overrides(**overrides))


def build_problem(config: Config) -> tuple[Network, Array, Array]:
    """The network and the batch (x, y) a config describes; the same seed gives the same numbers."""
    rng = np.random.default_rng(config.seed)
    network = init_network(
        input_size=config.input_size,
        units=[layer.units for layer in config.layers],
        activations=[ACTIVATIONS[layer.activation] for layer in config.layers],
        loss=get_loss(config.loss),
        init=config.init,
        rng=rng,
    )
    x, y = random_batch(
        batch_size=config.batch_size,
        input_size=config.input_size,
        output_size=config.layers[-1].units,
        loss_name=config.loss,
        rng=rng,
    )
    return network, x, y


def _analytic(gradients: Gradients, target: Target) -> Array:
    source = {"phi": gradients.phis, "W": gradients.dW, "b": gradients.db}[target.quantity]
    return source[target.layer - 1]


def run_check(config: Config) -> CheckReport:
    """Analytic gradients (Eq. 1–4) against central differences, for every layer and quantity."""
    network, x, y = build_problem(config)
    trace: Trace = network.forward(x)
    gradients = backward(network, trace, y)
    options = config.check
    numeric: dict[Target, Array] = {}
    layers = []
    for j, spec in enumerate(config.layers, start=1):
        checks = []
        for quantity in QUANTITIES:
            target = Target(layer=j, quantity=quantity)
            evaluate = partial(perturbed_losses, network, x, y, trace, target)
            numeric[target] = central_difference(evaluate, options.eps)
            comparison = compare(
                _analytic(gradients, target), numeric[target], rtol=options.rtol, atol=options.atol
            )
            checks.append(QuantityCheck(j, quantity, target.equation(network.depth), comparison))
        layers.append(
            LayerReport(layer=j, units=spec.units, activation=spec.activation, checks=tuple(checks))
        )
    special = SPECIAL_CASES.get((config.layers[-1].activation, config.loss))
    return CheckReport(
        config=config.source,
        input_size=config.input_size,
        loss=config.loss,
        loss_value=float(np.mean(network.sample_losses(trace.zs[-1], trace.activations[-1], y))),
        method="central",
        eps=options.eps,
        rtol=options.rtol,
        atol=options.atol,
        seed=config.seed,
        batch_size=config.batch_size,
        layers=tuple(layers),
        diagnosis=diagnose(
            layers, loss=config.loss, output_special_case=special.formula if special else None
        ),
        arrays=_arrays(network, x, y, gradients, numeric),
    )


def _arrays(
    network: Network, x: Array, y: Array, gradients: Gradients, numeric: Mapping[Target, Array]
) -> dict[str, Array]:
    arrays = {"x": x, "y": y}
    for j in range(1, network.depth + 1):
        arrays[f"W{j}"] = network.W(j)
        arrays[f"b{j}"] = network.b(j)
    for j in range(1, network.depth + 1):
        arrays[f"dW{j}"] = gradients.dW[j - 1]
        arrays[f"db{j}"] = gradients.db[j - 1]
        arrays[f"nW{j}"] = numeric[Target(j, "W")]
        arrays[f"nb{j}"] = numeric[Target(j, "b")]
    return arrays
