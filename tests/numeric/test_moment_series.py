"""The moment series of softmax's exponentials: as exact as its bound says, and used for rows."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_check.numeric import moment_series
from backprop_check.numeric.engine import PerturbationEngine
from backprop_check.numeric.moment_series import SERIES_TERMS, MomentSeries, series_terms
from backprop_check.numeric.targets import Target
from backprop_check.spec.build import build_problem
from backprop_check.spec.config import load_config

from ..helpers import small_config
from ..reference import perturbed_losses

DEEP_RELU = small_config(
    layers=[{"units": 7, "activation": "relu"}] * 3 + [{"units": 4, "activation": "softmax"}],
    batch_size=6,
)


def _series(seed: int, classes: int = 10, units: int = 6, samples: int = 3):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(samples, classes)) * 3
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    gains = rng.normal(size=(samples, classes, units)) * 4
    labels = np.ones(samples)
    return MomentSeries(p, gains, labels, np.max(np.abs(gains), axis=1)), p, gains


@pytest.mark.skipif(np.finfo(np.longdouble).eps > 1e-18, reason="no extended precision here")
@pytest.mark.parametrize("seed", range(4))
def test_each_served_row_is_within_its_remainder_bound_of_the_exact_change(seed: int) -> None:
    series, p, gains = _series(seed)
    samples, units = np.meshgrid(np.arange(3), np.arange(6), indexing="ij")
    samples, units = samples.ravel(), units.ravel()
    for scale in (1e-9, 1e-6, 1e-4, 1e-3, 1e-2, 0.1):
        moves = scale * np.random.default_rng(seed + 10).uniform(-1, 1, samples.size)
        changes, served = series.row_changes(samples, units, moves)
        # Rows the series turns down are left to the exps; at these sizes it takes most.
        assert served.any()
        g = gains[samples, :, units].astype(np.longdouble)[served]
        weights = p[samples].astype(np.longdouble)[served]
        # The change from the unmoved sum Σ_c p_c, which is 1 only to rounding.
        moved = np.sum(weights * np.exp(moves[served, None] * g), axis=1)
        exact = np.log(moved) - np.log(np.sum(weights, axis=1))
        error = np.abs(changes - exact)
        assert np.all(error <= 2.0**-60 + 4 * np.finfo(float).eps * np.abs(exact)), scale


def test_fewer_terms_for_smaller_changes_and_none_past_the_limit() -> None:
    tau = np.array([0.0, 1e-9, 1e-6, 1e-3, 0.05, 0.5, 2.0, np.inf, np.nan])
    needed = series_terms(tau)
    assert np.all(np.diff(needed[:-1]) >= 0)
    assert needed[0] == 1
    assert needed[3] < SERIES_TERMS
    assert np.all(needed[-3:] == SERIES_TERMS + 1)  # the exps take these


def test_complex_moves_are_left_to_the_exponentials() -> None:
    series, _, _ = _series(0)
    _, served = series.row_changes(np.array([0, 1]), np.array([2, 3]), np.array([1e-20j, 0j]))
    assert not served.any()


@pytest.mark.parametrize("quantity", ["phi", "b"])
def test_phi_and_b_rows_go_by_the_series_and_equal_the_plain_forward(
    quantity: str, monkeypatch
) -> None:
    served_rows: list[int] = []
    row_changes = MomentSeries.row_changes

    def counted(self, samples, units, moves):
        changes, served = row_changes(self, samples, units, moves)
        served_rows.append(int(served.sum()))
        return changes, served

    monkeypatch.setattr(MomentSeries, "row_changes", counted)
    network, x, y = build_problem(load_config(DEEP_RELU))
    engine = PerturbationEngine(network, x, y)
    found = {}
    for layer in range(1, network.depth + 1):
        target = Target(layer, quantity)
        elements = np.arange(int(np.prod(engine.shape(target))))
        result = engine.loss_changes(target, 1e-6, elements).changes
        plain = perturbed_losses(network, x, y, engine.trace, target, 1e-6).reshape(-1)
        if quantity == "phi":
            expected = plain - engine.sample_losses[elements // engine.shape(target)[1]]
        else:
            expected = plain - network.mean_loss(x, y)
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-14)
        found[layer] = result
    assert sum(served_rows) > 0
    monkeypatch.setattr(moment_series, "_SERIES_REMAINDER", 0.0)  # the exps for every row
    for layer in range(1, network.depth + 1):
        target = Target(layer, quantity)
        elements = np.arange(int(np.prod(engine.shape(target))))
        by_exps = PerturbationEngine(network, x, y).loss_changes(target, 1e-6, elements).changes
        np.testing.assert_allclose(found[layer], by_exps, rtol=1e-12, atol=2e-15)
