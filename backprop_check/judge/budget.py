"""What a check will cost before it runs: its memory, its threads, and the time it takes.

The memory guard refuses, before anything is allocated, a network whose own arrays exceed the
budget; the batched finite differences then chunk their temporaries within what is left. The
threads are one budget: the engine's workers and the BLAS library's threads share the CPUs. The
time estimate times a short probe, so that the command line can suggest a quicker mode.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import numpy as np

from ..numeric.engine import PerturbationEngine
from ..numeric.targets import Target
from ..spec.config import Config

__all__ = [
    "available_cpus",
    "check_rows",
    "default_jobs",
    "estimate_seconds",
    "format_size",
    "guard_memory",
    "idle_cpus",
    "plain_work",
    "required_bytes",
    "runnable_now",
    "thread_budget",
    "usable_jobs",
]


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system says, else all)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


# Linux's counts: runnable/all threads system-wide (4th field), and this process's threads.
_LOAD = Path("/proc/loadavg")
_OWN_TASKS = Path("/proc/self/task")


def runnable_now() -> int | None:
    """Threads of other work runnable at this moment, system-wide (Linux's /proc/loadavg); None
    where the system does not say."""
    try:
        runnable = int(_LOAD.read_text(encoding="ascii").split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return None
    return max(0, runnable - _own_runnable())


def _own_runnable() -> int:
    """This process's threads runnable now: this one, reading, and any that spin (OpenBLAS's
    workers do for a while after numpy's import)."""
    running = 0
    for task in _OWN_TASKS.glob("*/stat"):
        try:
            stat = task.read_text(encoding="ascii")
        except OSError:  # a thread that has just ended
            continue
        running += stat[stat.rfind(")") + 2 : stat.rfind(")") + 3] == "R"
    return max(1, running)


def idle_cpus() -> int:
    """CPUs of this process that other work leaves free, at least 1.

    The load is the last minute's average, or what runs right now where that is less: the
    average lags a minute behind work that has stopped (a benchmark's previous run, a build that
    just finished) and would keep a quiet machine's CPUs idle. It is taken as a share of the
    whole system (a container may see the host's load).
    """
    cpus = available_cpus()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return cpus
    now = runnable_now()
    if now is not None:
        load = min(load, now)
    busy = load * cpus / max(cpus, os.cpu_count() or cpus)
    return max(1, min(cpus, round(cpus - busy)))


# One engine thread per free CPU, at most 4 (beyond that nothing was measured), for a check with
# at least _THREADS_PAY rows (element × sample, φ one sample each); one thread below that. On 2
# CPUs (benchmarks/bench_engine.py, docs/performance.md) 2 threads took 0.76-0.99x the time of 1
# for the mnist-sized check (15 M rows) on a quiet machine, but 0.86-1.69x beside two CPU-bound
# processes, where a second thread mostly waits for its share; the 64-wide check (0.56 M rows)
# took 1.0-1.5x as long on 2 threads even on a quiet machine: its chunks are too short for a
# thread pool to pay. Worked out for each check, not once at import: `watch`, the pytest plugin
# and the API live long, and the load moves.
_MOST_JOBS = 4
_THREADS_PAY = 2_000_000


def check_rows(config: Config) -> int:
    """Elements × samples of a full check: every W and b element once per sample, every φ once."""
    sizes = [config.input_size, *(layer.units for layer in config.layers)]
    parameters = sum((fan_in + 1) * fan_out for fan_in, fan_out in pairwise(sizes))
    return config.batch_size * (parameters + sum(sizes[1:]))


def default_jobs(config: Config | None = None) -> int:
    """Engine threads when none are asked for: one per CPU other work leaves free, and one for
    a ``config`` whose check is too small for threads to pay."""
    if config is not None and check_rows(config) < _THREADS_PAY:
        return 1
    return min(idle_cpus(), _MOST_JOBS)


def usable_jobs(jobs: int | None, config: Config | None = None) -> int:
    """Threads worth starting: ``jobs`` (None: :func:`default_jobs` for ``config``), at least 1,
    at most the CPUs (more only split the budget)."""
    return max(1, min(default_jobs(config) if jobs is None else jobs, available_cpus()))


@contextmanager
def thread_budget(jobs: int, *, serial: bool = False) -> Iterator[None]:
    """``jobs`` threads in all: the engine's workers, or, for ``serial`` work, the BLAS library's.

    The engine's matrix products are narrow (units × a chunk of rows, one sample's exponents
    against its probabilities) and many: BLAS threads on them only wait for each other and fight
    the engine's workers for the same cores, so BLAS keeps one thread while the workers run. Work
    done in one thread (directions mode: whole-batch forward passes) gives BLAS the budget instead.
    The limit is process-wide while it lasts (threadpoolctl), and restored afterwards.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=jobs if serial else 1, user_api="blas"):
        yield


# Elements probed per tensor when estimating how long a full check takes; a W done by blocks is
# probed with whole columns of at least _PROBE_BLOCK elements, as the check goes.
_PROBE = 256
_PROBE_BLOCK = 8192
# Below this many plain multiply-adds no probe is run: at _SLOW_RATE (far below what numpy does
# on the engine's blocks of rows, one core) even all of them take 10 s.
_SURELY_QUICK = 10**10
_SLOW_RATE = 1e9
_FLOAT64, _COMPLEX128 = 8, 16


def required_bytes(config: Config) -> int:
    """Memory for the network's own arrays: parameters, both gradients, activations, directions.

    The batched finite differences come on top, chunked within the --max-memory budget.
    """
    sizes = [config.input_size, *(layer.units for layer in config.layers)]
    parameters = sum((fan_in + 1) * fan_out for fan_in, fan_out in pairwise(sizes))
    activations = config.batch_size * sum(sizes)
    itemsize = np.dtype(config.dtype).itemsize
    # Weights and analytic gradients in the dtype, numeric gradients in float64 (NaN where not
    # computed); z, a and φ, plus the engine's transposed copies.
    needed = parameters * (2 * itemsize + _FLOAT64) + 6 * activations * itemsize
    if config.check.directions:
        # Directions are drawn one at a time (float64, as large as the largest tensor, and its
        # draw); each keeps only its move of z^j, complex for the complex step.
        largest = max(fan_in * fan_out for fan_in, fan_out in pairwise(sizes))
        moves = config.check.directions * config.batch_size * max(sizes[1:])
        needed += 2 * largest * _FLOAT64 + 2 * moves * _COMPLEX128
    return needed


def guard_memory(config: Config, max_memory: int) -> None:
    """Refuse, before allocating anything, a network whose arrays alone exceed the budget."""
    needed = required_bytes(config)
    if needed > max_memory:
        sizes = [config.input_size, *(layer.units for layer in config.layers)]
        widest = max(range(len(config.layers)), key=lambda i: sizes[i] * sizes[i + 1])
        raise config.error(
            f"layers[{widest}].units",
            f"this network needs about {format_size(needed)} for its parameters, gradients and "
            f"activations, more than the memory budget of {format_size(max_memory)} "
            "(--max-memory). Use fewer units or a smaller batch, or raise --max-memory if the "
            "machine has room.",
        )


def format_size(count: int) -> str:
    """'512.0 MiB', '3 bytes'; whole units once a size is too large for a float to show."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count // scale:,} {unit}" if count >= 2**70 else f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def estimate_seconds(
    engine: PerturbationEngine,
    targets: Sequence[Target],
    *,
    step: float,
    evaluations: int,
    jobs: int,
) -> float:
    """How long a full element-by-element check would take, from a short timed probe.

    Where even the plain layer-by-layer work of every row (:func:`plain_work`) is small, that
    count at a slow rate is the estimate: a probe could cost as much as the check itself.
    """
    work = plain_work(engine, targets, evaluations=evaluations)
    if work < _SURELY_QUICK:
        return work / _SLOW_RATE / min(jobs, 2)
    total = 0.0
    for target in targets:
        size = int(np.prod(engine.shape(target)))
        probe = _probe(engine, target, size)
        # The first call also builds per-layer caches; time the second.
        engine.loss_changes(target, step, probe[:1])
        started = time.perf_counter()
        engine.loss_changes(target, step, probe)
        per_element = (time.perf_counter() - started) / probe.size
        total += per_element * size * evaluations
    return total / min(jobs, 2)


def plain_work(engine: PerturbationEngine, targets: Sequence[Target], *, evaluations: int) -> int:
    """Multiply-adds of a full check if every row took the plain layer-by-layer path.

    A row (an element and one of its samples, per evaluation) moves a^j in one unit: the next
    layer changes by a column of W^{j+1}, every later one by a whole product, then the loss reads
    the logits. The engine does much less (rows that do not move, linear stretches, blocks).
    """
    network = engine.network
    depth, total = network.depth, 0
    for target in targets:
        samples = 1 if target.quantity == "phi" else engine.batch_size
        later = sum(network.W(m).size for m in range(target.layer + 1, depth + 1))
        rows = int(np.prod(engine.shape(target))) * samples
        total += rows * (later + network.W(depth).shape[0])
    return total * evaluations


def _probe(engine: PerturbationEngine, target: Target, size: int) -> np.ndarray:
    """The elements timed for one tensor: a block of W's columns where the engine has blocks."""
    if engine.block_columns(target) is None:
        return np.arange(min(size, _PROBE))
    units, inputs = engine.shape(target)
    columns = min(inputs, -(-_PROBE_BLOCK // units))
    return (np.arange(units)[:, None] * inputs + np.arange(columns)).ravel()
