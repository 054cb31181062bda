"""The batched engine against the plain one-perturbation-at-a-time forward pass."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backprop_check.numeric.engine import PerturbationEngine
from backprop_check.numeric.targets import QUANTITIES, Target
from backprop_check.spec.build import build_problem
from backprop_check.spec.config import load_config

from ..helpers import CONFIGS, small_config
from ..reference import perturbed_losses

NETWORKS = [
    small_config(),
    # Deep ReLU stack: the linear chain runs through two hidden ReLU layers.
    small_config(
        layers=[{"units": 7, "activation": "relu"}] * 3 + [{"units": 3, "activation": "softmax"}],
        batch_size=6,
    ),
    # ReLU output with MSE: kinks at the output, no special case on the numeric side.
    small_config(
        layers=[{"units": 6, "activation": "linear"}, {"units": 4, "activation": "relu"}],
        loss="mse",
    ),
    small_config(
        layers=[{"units": 5, "activation": "tanh"}, {"units": 3, "activation": "sigmoid"}],
        loss="bce",
    ),
    small_config(
        layers=[{"units": 5, "activation": "relu"}, {"units": 3, "activation": "softmax"}],
        loss="bce",
        batch_size=1,
    ),
]


def _plain_changes(network, x, y, engine: PerturbationEngine, target: Target, step: float):
    """L(θ + h e) − L(θ) by recomputing the whole network for each element."""
    losses = perturbed_losses(network, x, y, engine.trace, target, step).reshape(-1)
    if target.quantity == "phi":
        width = engine.shape(target)[1]
        return losses - engine.sample_losses[np.arange(losses.size) // width]
    return losses - network.mean_loss(x, y)


def _plain_kinks(network, x, engine: PerturbationEngine, target: Target, step: float):
    """Whether any ReLU changes side, by comparing every layer's signs before and after."""
    before = [z > 0 for z in engine.trace.zs]
    flags = []
    for index in range(int(np.prod(engine.shape(target)))):
        if target.quantity == "phi":
            s, i = np.unravel_index(index, engine.shape(target))
            z = engine.trace.z(target.layer).copy()
            z[s, i] += step
            after = network.forward_from(
                target.layer, z, prefix=engine.trace.activations[: target.layer]
            )
            zs = list(engine.trace.zs[: target.layer - 1]) + list(after.zs)
        else:
            tensors = list(network.weights if target.quantity == "W" else network.biases)
            moved = tensors[target.layer - 1].copy()
            moved.reshape(-1)[index] += step
            tensors[target.layer - 1] = moved
            field = "weights" if target.quantity == "W" else "biases"
            zs = dataclasses.replace(network, **{field: tuple(tensors)}).forward(x).zs
        flags.append(
            any(
                np.any((z > 0) != b)
                for z, b, act in zip(zs, before, network.activation_fns, strict=True)
                if act.kinks
            )
        )
    return np.array(flags)


@pytest.mark.parametrize("config", NETWORKS + [load_config(p) for p in CONFIGS])
@pytest.mark.parametrize("step", [1e-6, -1e-6, 1e-2, -0.3])
def test_engine_equals_the_plain_forward_to_rounding(config, step: float) -> None:
    config = config if not isinstance(config, dict) else load_config(config)
    network, x, y = build_problem(config)
    engine = PerturbationEngine(network, x, y)
    for j in range(1, network.depth + 1):
        for quantity in QUANTITIES:
            target = Target(j, quantity)
            elements = np.arange(int(np.prod(engine.shape(target))))
            result = engine.loss_changes(target, step, elements)
            expected = _plain_changes(network, x, y, engine, target, step)
            np.testing.assert_allclose(result.changes, expected, rtol=0, atol=1e-14)
            np.testing.assert_array_equal(
                result.kinks, _plain_kinks(network, x, engine, target, step)
            )


def test_large_steps_flip_relus_and_are_reported_as_kinks() -> None:
    config = load_config(NETWORKS[1])
    network, x, y = build_problem(config)
    engine = PerturbationEngine(network, x, y)
    target = Target(1, "W")
    result = engine.loss_changes(target, 0.5, np.arange(int(np.prod(engine.shape(target)))))
    assert result.kinks.any()
    assert not engine.loss_changes(target, 1e-12, np.arange(5)).kinks.any()


def test_a_tiny_memory_budget_changes_nothing_but_the_chunking() -> None:
    config = load_config(NETWORKS[1])
    network, x, y = build_problem(config)
    roomy = PerturbationEngine(network, x, y)
    tight = PerturbationEngine(network, x, y, max_memory=4096)
    target = Target(1, "W")
    assert tight.chunk_size(target) < roomy.chunk_size(target)
    elements = np.arange(int(np.prod(roomy.shape(target))))
    # Rows are summed in other groups, so only the last bits may differ.
    np.testing.assert_allclose(
        tight.loss_changes(target, 1e-3, elements).changes,
        roomy.loss_changes(target, 1e-3, elements).changes,
        rtol=0,
        atol=1e-15,
    )


def test_complex_steps_carry_the_derivative_in_the_imaginary_part() -> None:
    network, x, y = build_problem(load_config(NETWORKS[3]))
    engine = PerturbationEngine(network, x, y)
    target = Target(1, "W")
    elements = np.arange(int(np.prod(engine.shape(target))))
    complex_step = engine.loss_changes(target, 1e-20j, elements).changes.imag / 1e-20
    central = (
        engine.loss_changes(target, 1e-6, elements).changes
        - engine.loss_changes(target, -1e-6, elements).changes
    ) / 2e-6
    np.testing.assert_allclose(complex_step, central, atol=1e-9)


@pytest.mark.parametrize("quantity", QUANTITIES)
def test_direction_changes_equal_moving_the_whole_tensor(quantity: str, rng) -> None:
    network, x, y = build_problem(load_config(NETWORKS[1]))
    engine = PerturbationEngine(network, x, y)
    target = Target(2, quantity)
    directions = rng.standard_normal((3, *engine.shape(target)))
    result = engine.direction_changes(target, 1e-3, directions)
    for direction, change in zip(directions, result, strict=True):
        if quantity == "phi":
            after = network.forward_from(
                2, engine.trace.z(2) + 1e-3 * direction, prefix=engine.trace.activations[:2]
            )
            expected = np.sum(
                network.sample_losses(after.zs[-1], after.activations[-1], y) - engine.sample_losses
            )
        else:
            field = "weights" if quantity == "W" else "biases"
            tensors = list(getattr(network, field))
            tensors[1] = tensors[1] + 1e-3 * direction
            expected = dataclasses.replace(network, **{field: tuple(tensors)}).mean_loss(
                x, y
            ) - network.mean_loss(x, y)
        assert change == pytest.approx(expected, abs=1e-14)


def test_leaving_a_kink_is_a_kink_but_only_passing_one_is_a_crossing() -> None:
    # Sample 0's unit 0 sits exactly on 0 (x = 0, b = 0); sample 1's unit 0 is at 0.1.
    network, x, y = build_problem(load_config(NETWORKS[1]))
    x = x.copy()
    x[0] = 0.0
    biases = list(network.biases)
    biases[0] = np.zeros_like(biases[0])
    network = dataclasses.replace(network, biases=tuple(biases))
    engine = PerturbationEngine(network, x, y)
    z = engine.trace.z(1)
    assert z[0, 0] == 0.0
    width = z.shape[1]
    on_kink = np.array([0])  # φ element (sample 0, unit 0)
    up, down = (
        engine.loss_changes(Target(1, "phi"), 1e-6, on_kink),
        engine.loss_changes(Target(1, "phi"), -1e-6, on_kink),
    )
    assert (up.kinks[0], up.crossings[0]) == (True, False)  # leaves 0 upwards: smooth on (0, h]
    assert not down.kinks[0]  # stays off
    # A unit near 0 passed by the step: a crossing; a small enough step does not reach it.
    near = np.array([width * 1 + 1])  # sample 1, unit 1
    distance = float(z[1, 1])
    across = engine.loss_changes(Target(1, "phi"), -2 * distance, near)
    short = engine.loss_changes(Target(1, "phi"), -distance / 2, near)
    assert across.kinks[0]
    assert across.crossings[0]
    assert not short.crossings[0]


def _on_zero(layer: int):
    """NETWORKS[1] (three hidden ReLU layers) with z^layer[0, 0] moved exactly onto 0."""
    network, x, y = build_problem(load_config(NETWORKS[1]))
    biases = [b.copy() for b in network.biases]
    biases[layer - 1][0] -= network.forward(x).z(layer)[0, 0]
    network = dataclasses.replace(network, biases=tuple(biases))
    engine = PerturbationEngine(network, x, y)
    assert engine.trace.z(layer)[0, 0] == 0.0
    return engine


@pytest.mark.parametrize("step", [-1e-6, 1e-20j], ids=["to the off side", "imaginary"])
def test_moving_a_unit_that_sits_on_its_kink_is_flagged_whichever_way(step) -> None:
    # Issue 11 item 3 for one-sided and complex steps: a step that moves a unit sitting exactly
    # on 0 to its off side, or off the real axis, changes no side, yet measures only σ'(0) = 0's
    # slope. It used to go unflagged, so a user's ReLU'(0) = 1 failed under backward, forward
    # and complex-step differences.
    engine = _on_zero(1)
    moved = engine.loss_changes(Target(1, "phi"), step, np.array([0, 1]))
    assert moved.on_kinks.tolist() == [True, False]  # φ element 1 is unit 1 of sample 0
    assert not moved.kinks.any()
    assert not moved.crossings.any()


@pytest.mark.parametrize("step", [-1e-6, 1e-6, 1e-20j])
def test_a_later_unit_on_its_kink_is_flagged_through_the_linear_chain(step) -> None:
    # z²[0, 0] on 0: every φ¹ element of sample 0 whose unit reaches it through W² is flagged,
    # also when the linear stretch through layer 2 would otherwise carry the change past it.
    engine = _on_zero(2)
    elements = np.arange(engine.shape(Target(1, "phi"))[1])  # sample 0's units
    moved = engine.loss_changes(Target(1, "phi"), step, elements)
    reaches = (engine.network.W(2)[0] != 0) & (engine.trace.z(1)[0] > 0)
    assert (moved.on_kinks | moved.kinks).tolist() == reaches.tolist()
    assert reaches.any()
