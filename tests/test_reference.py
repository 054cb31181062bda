"""The slow reference the engine is checked against, against recomputing the network by hand."""

from __future__ import annotations

import dataclasses

import numpy as np

from backprop_check.numeric.targets import Target
from backprop_check.spec.build import build_problem
from backprop_check.spec.config import load_config

from .helpers import small_config
from .reference import perturbed_losses


def test_weight_perturbation_changes_only_that_weight() -> None:
    network, x, y = build_problem(load_config(small_config()))
    trace = network.forward(x)
    losses = perturbed_losses(network, x, y, trace, Target(2, "W"), 1e-3)
    weights = list(network.weights)
    weights[1] = weights[1].copy()
    weights[1][3, 4] += 1e-3
    expected = dataclasses.replace(network, weights=tuple(weights)).mean_loss(x, y)
    assert losses[3, 4] == expected
    assert losses.shape == network.W(2).shape


def test_bias_perturbation() -> None:
    network, x, y = build_problem(load_config(small_config()))
    losses = perturbed_losses(network, x, y, network.forward(x), Target(3, "b"), -1e-3)
    biases = list(network.biases)
    biases[2] = biases[2] - 1e-3 * np.eye(3)[1]
    assert losses[1] == dataclasses.replace(network, biases=tuple(biases)).mean_loss(x, y)


def test_phi_perturbation_gives_the_perturbed_samples_own_loss() -> None:
    network, x, y = build_problem(load_config(small_config()))
    trace = network.forward(x)
    losses = perturbed_losses(network, x, y, trace, Target(1, "phi"), 1e-3)
    assert losses.shape == trace.z(1).shape
    # Unperturbed samples keep their losses; the sample's own loss moves.
    z = trace.z(1).copy()
    z[2, 0] += 1e-3
    after = network.forward_from(1, z, prefix=(x,))
    per_sample = network.sample_losses(after.zs[-1], after.activations[-1], y)
    assert losses[2, 0] == per_sample[2]
