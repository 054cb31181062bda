"""What a check costs: the memory guard refuses before allocating, the estimate grows with size."""

from __future__ import annotations

import tracemalloc
from itertools import pairwise
from pathlib import Path

import pytest

from backprop_check import ConfigError
from backprop_check.judge import budget
from backprop_check.judge.budget import (
    check_rows,
    format_size,
    guard_memory,
    idle_cpus,
    required_bytes,
    usable_jobs,
)
from backprop_check.judge.checker import Checker
from backprop_check.numeric.engine import DEFAULT_MAX_MEMORY
from backprop_check.spec.config import load_config

from ..helpers import small_config


def test_estimate_is_positive_and_scales_with_the_network() -> None:
    small = Checker(load_config(small_config())).estimate_seconds()
    wide = small_config(
        input_size=200,
        layers=[{"units": 200, "activation": "relu"}, {"units": 3, "activation": "softmax"}],
    )
    assert 0 < small < Checker(load_config(wide)).estimate_seconds()


_MNIST_SIZED = {
    "input_size": 784,
    "layers": [
        {"units": 256, "activation": "relu"},
        {"units": 128, "activation": "relu"},
        {"units": 10, "activation": "softmax"},
    ],
    "loss": "cce",
    "batch_size": 64,
}


def _probes(monkeypatch, config) -> tuple[float, list[int]]:
    """The estimate for ``config``, and the sizes of the engine calls it made."""
    checker = Checker(load_config(config))
    calls: list[int] = []
    real = checker.engine.loss_changes

    def counted(target, step, elements):
        calls.append(len(elements))
        return real(target, step, elements[:1])  # the counting is the point, not the time

    monkeypatch.setattr(checker.engine, "loss_changes", counted)
    return checker.estimate_seconds(), calls


def test_a_check_of_little_counted_work_is_estimated_without_a_probe(monkeypatch) -> None:
    # Issue 14: on a 64-128-64-10 network the probe cost as much as the check (22 of 40 ms).
    small = {**_MNIST_SIZED, "input_size": 64, "batch_size": 32}
    small["layers"] = [
        {"units": 128, "activation": "relu"},
        {"units": 64, "activation": "relu"},
        {"units": 10, "activation": "softmax"},
    ]
    estimate, calls = _probes(monkeypatch, small)
    assert calls == []
    assert estimate > 0
    # The mnist-sized network is over the count: it is probed, tensor by tensor.
    estimate, calls = _probes(monkeypatch, _MNIST_SIZED)
    assert len(calls) == 2 * 9
    assert max(calls) > 1
    assert estimate > 0


def test_required_bytes_grow_with_units_batch_precision_and_directions() -> None:
    base = load_config(small_config())
    wider = load_config(
        small_config(
            layers=[{"units": 60, "activation": "relu"}] * 2
            + [{"units": 3, "activation": "softmax"}]
        )
    )
    assert required_bytes(wider) > required_bytes(base)
    assert required_bytes(base.with_overrides(batch_size=50)) > required_bytes(base)
    assert required_bytes(base.with_overrides(dtype="float32")) < required_bytes(base)
    assert required_bytes(base.with_overrides(directions=4)) > required_bytes(base)


def test_the_guard_names_the_widest_layer_and_the_budget() -> None:
    config = load_config(
        small_config(
            layers=[
                {"units": 4, "activation": "relu"},
                {"units": 3000, "activation": "relu"},
                {"units": 3, "activation": "softmax"},
            ]
        )
    )
    guard_memory(config, required_bytes(config))  # exactly enough is enough
    with pytest.raises(ConfigError, match=r"layers\[1\]\.units.*budget of 1\.0 MiB") as error:
        guard_memory(config, 2**20)
    assert "(--max-memory)" in str(error.value)


def test_sizes_read_as_people_write_them() -> None:
    assert format_size(3) == "3 bytes"
    assert format_size(512 * 2**20) == "512.0 MiB"
    assert format_size(3 * 2**80) == f"{3 * 2**50:,} GiB"


def test_jobs_are_capped_at_the_cpus(monkeypatch) -> None:
    # Issue 11 (m): --jobs 100000 split the memory budget into 5 KB chunks and ran for minutes.
    monkeypatch.setattr(budget, "available_cpus", lambda: 2)
    assert (usable_jobs(100_000), usable_jobs(2), usable_jobs(1), usable_jobs(0)) == (2, 2, 1, 1)
    checker = Checker(load_config(small_config()), jobs=100_000)
    assert checker.jobs == 2
    assert checker.engine.max_memory == DEFAULT_MAX_MEMORY // 2


@pytest.mark.parametrize(
    ("load", "system", "expected"),
    [(0.1, 2, 2), (0.9, 2, 1), (5.0, 2, 1), (0.4, 8, 2), (30.0, 64, 1), (2.0, 64, 2)],
)
def test_the_default_threads_are_the_cpus_the_load_leaves_free(
    monkeypatch, load: float, system: int, expected: int
) -> None:
    # This process may use 2 CPUs of a ``system``-CPU machine whose load is ``load``.
    monkeypatch.setattr(budget, "runnable_now", lambda: None)
    monkeypatch.setattr(budget, "available_cpus", lambda: 2)
    monkeypatch.setattr(budget.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(budget.os, "cpu_count", lambda: system)
    assert idle_cpus() == expected


def test_without_a_load_average_every_cpu_counts_as_free(monkeypatch) -> None:
    def unavailable():
        raise OSError("no load average here")

    monkeypatch.setattr(budget, "available_cpus", lambda: 3)
    monkeypatch.setattr(budget.os, "getloadavg", unavailable)
    assert idle_cpus() == 3


@pytest.mark.parametrize(
    ("average", "now", "expected"), [(1.5, 0, 2), (1.5, None, 1), (0.2, 3, 2), (5.0, 3, 1)]
)
def test_a_load_that_has_stopped_keeps_no_cpu_idle(
    monkeypatch, average: float, now: int | None, expected: int
) -> None:
    # The minute's average lags behind work that has stopped; what runs now is the lower bound
    # of the two, and a burst that has just begun does not count for more than the average.
    monkeypatch.setattr(budget, "available_cpus", lambda: 2)
    monkeypatch.setattr(budget.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(budget.os, "getloadavg", lambda: (average, average, average))
    monkeypatch.setattr(budget, "runnable_now", lambda: now)
    assert idle_cpus() == expected


def test_what_runs_now_leaves_out_this_process_s_own_threads(monkeypatch, tmp_path) -> None:
    # 4 runnable system-wide; of them this process's reading thread and a spinning BLAS worker
    # (its command name holds ") R (" to trip a naive parse); one of its threads sleeps.
    load = tmp_path / "loadavg"
    load.write_text("0.52 0.58 0.59 4/80 12345\n", encoding="ascii")
    tasks = tmp_path / "task"
    for number, (name, state) in enumerate([("python", "R"), ("x) R (y", "R"), ("idle", "S")]):
        (tasks / str(number)).mkdir(parents=True)
        (tasks / str(number) / "stat").write_text(f"{number} ({name}) {state} 1 2 3\n", "ascii")
    monkeypatch.setattr(budget, "_LOAD", load)
    monkeypatch.setattr(budget, "_OWN_TASKS", tasks)
    assert budget.runnable_now() == 2
    load.write_text("garbled\n", encoding="ascii")
    assert budget.runnable_now() is None


def test_what_runs_now_is_read_from_the_system_where_it_says() -> None:
    now = budget.runnable_now()
    if not Path("/proc/loadavg").exists():
        assert now is None
    else:
        assert isinstance(now, int)
        assert now >= 0


_THREADS_PAY = small_config(
    input_size=100,
    layers=[{"units": 200, "activation": "relu"}, {"units": 10, "activation": "softmax"}],
    loss="cce",
    batch_size=100,
)


def test_a_check_given_no_jobs_reads_the_load_when_it_starts(monkeypatch) -> None:
    # Not once at import: watch, the plugin and the API outlive the load they started under.
    monkeypatch.setattr(budget, "runnable_now", lambda: None)
    monkeypatch.setattr(budget, "available_cpus", lambda: 2)
    monkeypatch.setattr(budget.os, "cpu_count", lambda: 2)
    seen = []
    for load in (0.1, 5.0, 0.1):
        monkeypatch.setattr(budget.os, "getloadavg", lambda load=load: (load, load, load))
        seen.append(Checker(load_config(_THREADS_PAY)).jobs)
    assert seen == [2, 1, 2]
    assert Checker(load_config(_THREADS_PAY), jobs=1).jobs == 1


def test_a_check_too_small_for_threads_to_pay_takes_one(monkeypatch) -> None:
    monkeypatch.setattr(budget, "runnable_now", lambda: 0)
    monkeypatch.setattr(budget, "available_cpus", lambda: 2)
    monkeypatch.setattr(budget.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    small, large = load_config(small_config()), load_config(_THREADS_PAY)
    assert check_rows(small) < check_rows(large)
    assert (Checker(small).jobs, Checker(large).jobs) == (1, 2)
    assert Checker(small, jobs=2).jobs == 2  # asked for: given
    # The rows counted are the check's own: every W and b element per sample, every φ once.
    checker = Checker(large, jobs=1)
    per_sample = sum(t.size for t in (*checker.network.weights, *checker.network.biases))
    phi = sum(z.shape[1] for z in checker.engine.trace.zs)
    assert check_rows(large) == checker.x.shape[0] * (per_sample + phi)


_TEN_MILLION = {
    # 784 → 4096 → 2048 → 10: 11.6 M parameters, the largest tensor 8.4 M.
    "input_size": 784,
    "layers": [
        {"units": 4096, "activation": "relu"},
        {"units": 2048, "activation": "relu"},
        {"units": 10, "activation": "softmax"},
    ],
    "loss": "cce",
    "batch_size": 16,
}


# The docs' timed example (benchmarks/bench_engine.py): 1000 → 2000 × 3 → 10, 10.0 M parameters.
_DOCS_TEN_MILLION = {
    "input_size": 1000,
    "layers": [
        {"units": 2000, "activation": "relu"},
        {"units": 2000, "activation": "tanh"},
        {"units": 2000, "activation": "relu"},
        {"units": 10, "activation": "softmax"},
    ],
    "loss": "cce",
    "batch_size": 16,
}


@pytest.mark.parametrize("network", [_TEN_MILLION, _DOCS_TEN_MILLION], ids=["wide", "docs"])
def test_a_ten_million_parameter_directions_check_fits_the_default_budget(network) -> None:
    # Issue 11 (v): counted as 4 directions × 8.4 M × 2 float64 at once, 783 MiB, it was refused
    # at the default 512 MiB. Directions are drawn one at a time and keep only their move of z^j.
    config = load_config(network).with_overrides(directions=4)
    sizes = [config.input_size, *(layer.units for layer in config.layers)]
    parameters = sum((n + 1) * m for n, m in pairwise(sizes))
    assert 10_000_000 <= parameters < 12_000_000
    assert required_bytes(config) <= DEFAULT_MAX_MEMORY
    guard_memory(config, DEFAULT_MAX_MEMORY)


@pytest.mark.parametrize(("directions", "method"), [(4, "central"), (8, "complex-step")])
def test_the_guard_counts_what_a_directional_check_really_allocates(
    directions: int, method: str
) -> None:
    # tracemalloc sees numpy's allocations: the peak of a whole directional check stays within
    # the guard's count (25 % slack for numpy's own temporaries), and the count is no gross
    # overestimate either.
    config = load_config(
        {
            "input_size": 300,
            "layers": [
                {"units": 600, "activation": "relu"},
                {"units": 400, "activation": "tanh"},
                {"units": 10, "activation": "softmax"},
            ],
            "loss": "cce",
            "batch_size": 16,
        }
    ).with_overrides(directions=directions, method=method)
    tracemalloc.start()
    try:
        Checker(config).run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 1.25 * required_bytes(config)
    assert required_bytes(config) <= 4 * peak


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.mark.parametrize(("mode", "during"), [({}, 1), ({"directions": 2}, 2)])
def test_engine_threads_and_blas_threads_share_one_budget(mode, during: int) -> None:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        if not before:
            pytest.skip("numpy's BLAS does not report its threads here")
        seen: list[list[int]] = []
        checker = Checker(load_config(small_config()).with_overrides(**mode), jobs=2)
        checker.jobs = 2  # the budget itself, whatever the CPUs of this machine
        checker.run(progress=lambda _: seen.append(_blas_threads()))
        assert seen
        # Element by element the engine's two workers have the CPUs and BLAS one thread;
        # directions mode works in one thread and gives BLAS the two.
        assert all(threads == [during] * len(before) for threads in seen)
        assert _blas_threads() == before
