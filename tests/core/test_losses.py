"""Each loss's gradient ∇_a L against central differences; aliases; stable logs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backprop_check.core.activations import get_activation
from backprop_check.core.losses import (
    LOSS_ALIASES,
    LOSSES,
    NetworkOutput,
    canonical_loss_name,
    get_loss,
)
from backprop_check.core.network import random_batch


def _labels(name: str, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Labels of the kind the loss takes (one-hot, 0/1 or real), from its registry entry."""
    _, y = random_batch(
        batch_size=shape[0], input_size=1, output_size=shape[1], labels=LOSSES[name].labels, rng=rng
    )
    return y


def _numeric_gradient(loss, a: np.ndarray, y: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    identity = get_activation("linear")  # feed a directly, logs taken of a
    gradient = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[index] = eps
        plus = loss.value(NetworkOutput(a + step, a + step, identity), y)
        minus = loss.value(NetworkOutput(a - step, a - step, identity), y)
        gradient[index] = (plus - minus)[index[0]] / (2 * eps)
    return gradient


def _gradient_agrees(loss, a, y) -> bool:
    return np.allclose(loss.gradient(a, y), _numeric_gradient(loss, a, y), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_matches_finite_differences(name: str, rng: np.random.Generator) -> None:
    a = rng.uniform(0.05, 0.95, (3, 4))
    assert _gradient_agrees(get_loss(name), a, _labels(name, rng, a.shape))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_a_wrong_gradient_is_detected(name: str, rng: np.random.Generator) -> None:
    loss = get_loss(name)
    broken = dataclasses.replace(loss, gradient=lambda a, y: 0.5 * loss.gradient(a, y))
    a = rng.uniform(0.05, 0.95, (3, 4))
    assert not _gradient_agrees(broken, a, _labels(name, rng, a.shape))


def test_the_seed_bce_sign_typo_is_wrong(rng: np.random.Generator) -> None:
    """NOTES.md: the seed prints −y/ŷ − (1−y)/(1−ŷ); finite differences reject it."""
    loss = get_loss("bce")
    seed_version = dataclasses.replace(loss, gradient=lambda a, y: -y / a - (1 - y) / (1 - a))
    a = rng.uniform(0.05, 0.95, (3, 4))
    y = _labels("binary_crossentropy", rng, a.shape)
    assert _gradient_agrees(loss, a, y)
    assert not _gradient_agrees(seed_version, a, y)


def test_losses_average_as_the_issue_defines(rng: np.random.Generator) -> None:
    a = rng.uniform(0.1, 0.9, (2, 3))
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    linear = get_activation("linear")
    out = NetworkOutput(a, a, linear)
    np.testing.assert_allclose(get_loss("mse").value(out, y), ((y - a) ** 2).mean(axis=1))
    np.testing.assert_allclose(
        get_loss("bce").value(out, y), (-y * np.log(a) - (1 - y) * np.log(1 - a)).sum(axis=1)
    )
    np.testing.assert_allclose(get_loss("cce").value(out, y), -(y * np.log(a)).sum(axis=1))


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("mean_squared_error", "mse"),
        ("MSE", "mse"),
        ("bce", "binary_crossentropy"),
        ("binary-crossentropy", "binary_crossentropy"),
        ("cce", "categorical_crossentropy"),
        ("categorical_cross_entropy", "categorical_crossentropy"),
    ],
)
def test_aliases(alias: str, canonical: str) -> None:
    assert canonical_loss_name(alias) == canonical
    assert get_loss(alias).name == canonical


def test_every_alias_points_at_a_registered_loss() -> None:
    assert set(LOSS_ALIASES.values()) <= set(LOSSES)
    assert canonical_loss_name("hinge") is None


def test_bce_from_saturated_logits_stays_finite() -> None:
    sigmoid = get_activation("sigmoid")
    z = np.array([[-40.0, 40.0]])
    out = NetworkOutput(z, sigmoid.value(z), sigmoid)
    y = np.array([[1.0, 0.0]])  # both maximally wrong
    np.testing.assert_allclose(get_loss("bce").value(out, y), [80.0], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_labels_of_the_loss_kind_give_a_finite_loss_and_other_kinds_may_not(name: str) -> None:
    loss = LOSSES[name]
    rng = np.random.default_rng(3)
    _, y = random_batch(batch_size=40, input_size=2, output_size=3, labels=loss.labels, rng=rng)
    if loss.labels == "one-hot":
        np.testing.assert_array_equal(y.sum(axis=1), 1.0)
    if loss.labels in ("one-hot", "binary"):
        assert set(np.unique(y)) == {0.0, 1.0}
    softmax = get_activation("softmax")
    z = rng.standard_normal(y.shape)
    assert np.all(np.isfinite(loss.value(NetworkOutput(z, None, softmax), y)))
    assert loss.display_name


@pytest.mark.parametrize("alias", ["half_sse", "quadratic", "Quadratic-Cost", "half_squared_error"])
def test_half_sse_is_half_the_sum_of_squares_and_n_over_2_mse(
    alias: str, rng: np.random.Generator
) -> None:
    identity = get_activation("linear")
    a, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    output = NetworkOutput(a, a, identity)
    half = get_loss(canonical_loss_name(alias) or alias)
    assert half.name == "half_sse"
    assert np.allclose(half.value(output, y), 0.5 * np.sum((y - a) ** 2, axis=1))
    assert np.allclose(half.value(output, y), 2.0 * get_loss("mse").value(output, y))  # n/2 = 2
