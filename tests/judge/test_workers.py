"""The pool a check's chunks run in: the calling thread for one job, worker threads for more."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from backprop_check.judge.checker import Checker
from backprop_check.judge.elements import estimate_elements
from backprop_check.judge.workers import InThisThread, worker_pool
from backprop_check.numeric.targets import Target
from backprop_check.spec.config import load_config

from ..helpers import small_config


def test_one_job_runs_each_task_in_this_thread_when_its_result_is_reached() -> None:
    log: list[str] = []

    def task(value: int, offset: int) -> int:
        log.append(f"task {value} in {threading.current_thread().name}")
        return value + offset

    with worker_pool(1) as pool:
        assert isinstance(pool, InThisThread)
        results = pool.map(task, [1, 2], [10, 20])
        assert log == []  # nothing runs before a result is asked for
        for result in results:
            log.append(f"got {result}")
    here = threading.current_thread().name
    assert log == [f"task 1 in {here}", "got 11", f"task 2 in {here}", "got 22"]


def test_a_tasks_error_is_raised_where_its_result_is_reached_as_with_threads() -> None:
    def task(value: int) -> float:
        return 1 / value

    def first_results(pool: InThisThread | ThreadPoolExecutor) -> list[float]:
        results: list[float] = []
        with pytest.raises(ZeroDivisionError), pool:
            results.extend(pool.map(task, [1, 2, 0, 4]))
        return results

    assert first_results(InThisThread()) == first_results(ThreadPoolExecutor(2)) == [1.0, 0.5]


def test_more_jobs_run_in_worker_threads() -> None:
    with worker_pool(2) as pool:
        names = set(pool.map(lambda _: threading.current_thread().name, range(8)))
    assert threading.current_thread().name not in names


def test_estimates_in_this_thread_are_those_of_worker_threads() -> None:
    checker = Checker(load_config(small_config(batch_size=12)), max_memory=2**14)
    target, elements = Target(1, "W"), np.arange(24)[::-1]
    estimates = []
    for pool in (InThisThread(), ThreadPoolExecutor(2)):
        with pool:
            estimates.append(
                estimate_elements(checker.surface, checker.method, target, elements, step=1e-5,
                                  pool=pool)
            )  # fmt: skip
    np.testing.assert_array_equal(estimates[0].values, estimates[1].values)
    np.testing.assert_array_equal(estimates[0].kinks, estimates[1].kinks)
