"""Finite-difference estimates of chosen elements: the same in chunks, threads or one go."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from backprop_check.judge.checker import Checker
from backprop_check.judge.elements import estimate_elements
from backprop_check.numeric.targets import Target
from backprop_check.report.data import ProgressEvent
from backprop_check.spec.config import load_config

from ..helpers import small_config


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
