"""Finite-difference estimates of chosen elements: the same in chunks, threads or one go."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from backprop_check.core.backprop import backward
from backprop_check.judge.checker import Checker
from backprop_check.judge.elements import estimate_elements
from backprop_check.numeric.finite_differences import METHODS
from backprop_check.numeric.targets import Target
from backprop_check.report.data import ProgressEvent
from backprop_check.spec.config import load_config

from ..helpers import failing, small_config
from ..verdict_networks import draw_network

Array = np.ndarray


def test_chunks_and_threads_give_the_values_of_one_call() -> None:
    checker = Checker(load_config(small_config(batch_size=12)), max_memory=2**14)
    target = Target(1, "W")
    elements = np.arange(24)[::-1]  # any order, and the engine's smallest chunks
    events: list[ProgressEvent] = []
    with ThreadPoolExecutor(2) as pool:
        chunked = estimate_elements(
            checker.engine, checker.method, target, elements, step=1e-5, pool=pool,
            progress=events.append, label="∇W¹",
        )  # fmt: skip
    direct = (
        checker.engine.loss_changes(target, 1e-5, elements).changes
        - checker.engine.loss_changes(target, -1e-5, elements).changes
    ) / 2e-5
    np.testing.assert_allclose(chunked.values, direct, rtol=0, atol=1e-12)
    assert chunked.error is None
    assert events[0].completed == 0
    assert events[-1] == ProgressEvent(label="∇W¹", completed=24, total=24)
    # The analytic gradient, element by element in the same order.
    np.testing.assert_allclose(
        chunked.values, checker.analytic(target).reshape(-1)[elements], rtol=1e-6
    )


def test_no_elements_is_an_empty_estimate() -> None:
    checker = Checker(load_config(small_config()))
    with ThreadPoolExecutor(1) as pool:
        empty = estimate_elements(
            checker.engine, checker.method, Target(1, "b"), np.arange(0), step=1e-5, pool=pool
        )
    assert (empty.values.size, empty.kinks.size, empty.error) == (0, 0, None)


def test_column_blocks_give_the_values_of_one_call() -> None:
    # W¹ of a ReLU network into softmax + CCE goes by blocks of columns: values come back in the
    # elements' order.
    config = small_config(
        input_size=40,
        layers=[{"units": 30, "activation": "relu"}, {"units": 4, "activation": "softmax"}],
    )
    checker = Checker(load_config(config), max_memory=2**20)
    target = Target(1, "W")
    columns = checker.engine.block_columns(target)
    assert columns is not None
    assert columns < 40
    elements = np.arange(30 * 40)
    with ThreadPoolExecutor(2) as pool:
        chunked = estimate_elements(
            checker.engine, checker.method, target, elements, step=1e-5, pool=pool
        )
    direct = (
        checker.engine.loss_changes(target, 1e-5, elements).changes
        - checker.engine.loss_changes(target, -1e-5, elements).changes
    ) / 2e-5
    # Blocks of other widths may sum in another order: rounding of the loss change, over 2e-5.
    np.testing.assert_allclose(chunked.values, direct, rtol=0, atol=1e-10)
    np.testing.assert_allclose(chunked.values, checker.analytic(target).reshape(-1), rtol=1e-6)


# --------------------------------------------------------------------------- second opinion
# Networks of the property run (tests/verdict_networks.py): float32 central differences at
# eps 1e-2 on saturated logits, where the loss curves enough for truncation to reach percents.


def _phi(config, layer: int, factor: float, index: int | None = None):
    """A whole backward with φ^layer (or one element of it) scaled by ``factor``."""

    def whole(network, trace, y):
        gradients = backward(network, trace, y)
        phis = list(gradients.phis)
        scaled = phis[layer - 1].copy().reshape(-1)
        scaled[slice(None) if index is None else index] *= factor
        phis[layer - 1] = scaled.reshape(phis[layer - 1].shape)
        return dataclasses.replace(gradients, phis=tuple(phis))

    return whole


def test_a_step_too_large_for_the_curvature_is_no_false_alarm() -> None:
    config = draw_network(461).config
    assert (config.check.method, config.dtype) == ("central", "float32")
    checker = Checker(config)
    # Central differences alone miss φ³ by up to 6 %: correct gradients fail at eps 1e-2.
    assert not checker.with_step(config.check.step).run().passed
    # Richardson's extrapolation at the same step agrees to 1e-5.
    report = checker.run()
    assert report.passed, report.diagnosis


def test_truncation_lets_no_error_of_the_resolvable_size_through() -> None:
    # Central differences put φ²[9] 0.46 % low; the same element made 0.7 % low (float32
    # central's `resolves`) then agreed within rtol 0.5 % and passed.
    config = draw_network(3661).config
    resolves = METHODS["central"].float32.resolves
    corrupted = Checker(config, analytic=_phi(config, 2, 1 - resolves, index=9))
    assert corrupted.with_step(config.check.step).run().passed  # the method alone
    assert failing(corrupted.run()) == [(2, "phi")]


def test_the_second_opinion_is_judged_with_the_same_tolerances() -> None:
    # Whole-tensor errors of the resolvable size in float32 still fail; in float64 nothing is
    # estimated twice (central differences at 1e-5 have no truncation to speak of).
    config = draw_network(461).config
    resolves = METHODS["central"].float32.resolves
    for factor in (1 - resolves, 1 + resolves):
        assert not Checker(config, analytic=_phi(config, 3, factor)).run().passed
    assert not METHODS["central"].float64.reestimate
