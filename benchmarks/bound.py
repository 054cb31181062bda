"""A lower bound for a full check, from the work it cannot skip, at this machine's measured rates.

Counted work, per network:

* **rows**: for every element of every W, b and φ and every step the method evaluates, each sample
  whose a^j the step moves (Δa ≠ 0; a dead ReLU that stays dead moves nothing, and neither does a
  weight whose input is 0). Each such row changes the logits, and its loss needs the exponential
  of every logit and one log: ``classes`` exps and 1 log per row;
* **matrix products**: the forward and backward passes over the batch, and, per sample, the
  Jacobians that carry a change of a^j to the logits through the piecewise-linear layers.

The bound is rows × (classes · t_exp + t_log) at numpy's measured exp/log throughput with the
given number of threads working at once, plus the products at the measured speed of their shapes:
the work of a check that evaluates each moving row's loss from its logits, as issue 14 defines it.
Ours ÷ bound says how close the engine comes. On a shared machine the exps and logs are also run
for real, taking turns with the check (:func:`run_bound`), so that both meet the same load; the
best of those runs is the bound the check is compared with.

That bound is no floor for our engine any more: where σ^j is linear over a step, the engine sums
a row's exponentials by their moments (numeric/weight_blocks.py) and needs no exp at all. The
**floor** prices what every row still needs, one log (log1p), plus the same products; ours ÷ floor
is how much room is left.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from backprop_check.judge.checker import Checker

Array = np.ndarray

_THROUGHPUT_SIZE = 1 << 16  # numbers per call: in cache, numpy's per-call cost negligible
_THROUGHPUT_CALLS = 40
_REPEATS = 5


@dataclass(frozen=True)
class Bound:
    rows: int
    classes: int
    exp_ns: float  # per number, all threads together
    log_ns: float
    product_seconds: float
    threads: int
    # Best seconds of the work done for real, next to the check (run_bound); None if not run.
    executed: float | None = None

    @property
    def from_rates(self) -> float:
        """The counted work at the best rates measured in short bursts."""
        per_row = self.classes * self.exp_ns + self.log_ns
        return self.rows * per_row * 1e-9 + self.product_seconds

    @property
    def floor(self) -> float:
        """One log per moving row and the products: what the engine cannot skip even with its
        moment series."""
        return self.rows * self.log_ns * 1e-9 + self.product_seconds

    @property
    def seconds(self) -> float:
        """The bound a check is compared with: the work run next to it where it was."""
        return self.from_rates if self.executed is None else self.executed


def method_steps(checker: Checker) -> list[complex]:
    """The steps the check's method evaluates, recorded from the method itself."""
    steps: list[complex] = []

    def record(h: complex) -> Array:
        steps.append(h)
        return np.zeros(1)

    checker.method.estimate(record, checker.config.check.step)
    return steps


def moving_rows(checker: Checker, steps: list[complex]) -> int:
    """(element, sample, step) triples whose step moves a^j (for the output layer, z^J)."""
    network, trace = checker.network, checker.engine.trace
    total = 0
    for h in steps:
        for j in range(1, network.depth + 1):
            z, a, a_previous = trace.z(j), trace.a(j), trace.a(j - 1)
            value = None if j == network.depth else network.activation(j).value
            # b^j moves every sample of a unit, φ^j one: the same rows, counted once for each.
            total += 2 * _count_moving(value, z + h, z, a)
            for s in range(z.shape[0]):
                moved = z[s][:, None] + h * a_previous[s][None, :]
                total += _count_moving(value, moved, z[s][:, None], a[s][:, None])
    return total


def _count_moving(value, moved: Array, z: Array, a: Array) -> int:
    """How many entries of a moved z change a (or, at the output, z itself)."""
    changed = moved != z if value is None else value(moved) != a
    return int(np.count_nonzero(changed))


def _throughput_ns(function, threads: int) -> float:
    """ns per number of ``function`` on cache-sized arrays, ``threads`` threads at once."""
    arrays = [np.random.default_rng(n).uniform(0.5, 1.5, _THROUGHPUT_SIZE) for n in range(threads)]
    outputs = [np.empty_like(x) for x in arrays]

    def work(n: int) -> None:
        for _ in range(_THROUGHPUT_CALLS):
            function(arrays[n], out=outputs[n])

    best = np.inf
    for _ in range(_REPEATS):
        workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        best = min(best, time.perf_counter() - started)
    return best / (threads * _THROUGHPUT_CALLS * _THROUGHPUT_SIZE) * 1e9


def run_bound(bound: Bound) -> float:
    """Seconds to actually do the bound's exps and logs (cache-sized arrays, ``bound.threads``
    threads), plus its products at their measured speed.

    Run next to the check it is compared with, it meets the same load: a rate measured in a
    quiet moment would flatter the bound on a shared machine.
    """
    exps = -(-bound.rows * bound.classes // _THROUGHPUT_SIZE)
    logs = -(-bound.rows // _THROUGHPUT_SIZE)
    # Exponents as small as a step's, sums near 1 as the log sees them.
    arrays = [np.random.default_rng(0).uniform(-1e-6, 1e-6, _THROUGHPUT_SIZE)]
    arrays.append(arrays[0] + 1.0)
    outputs = [np.empty_like(x) for x in arrays]

    def work(n: int) -> None:
        for _ in range(n, exps, bound.threads):
            np.exp(arrays[0], out=outputs[n % 2])
        for _ in range(n, logs, bound.threads):
            np.log(arrays[1], out=outputs[n % 2])

    workers = [threading.Thread(target=work, args=(n,)) for n in range(bound.threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started + bound.product_seconds


def _best_seconds(function) -> float:
    best = np.inf
    for _ in range(_REPEATS):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def product_seconds(checker: Checker, threads: int) -> float:
    """The forward, backward and Jacobian products of the check, timed at their shapes."""
    network = checker.network
    batch = checker.engine.batch_size
    classes = network.W(network.depth).shape[0]
    rng = np.random.default_rng(0)
    shapes: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for j in range(1, network.depth + 1):
        units, fan_in = network.W(j).shape
        shapes.append(((batch, fan_in), (fan_in, units)))  # forward
        shapes.append(((units, batch), (batch, fan_in)))  # ∇W^j
        if j > 1:
            shapes.append(((batch, units), (units, fan_in)))  # φ^{j−1}
        if j < network.depth - 1 and all(
            network.activation(m).piecewise_linear for m in range(j + 1, network.depth)
        ):
            # The Jacobian of the logits by a^j, one per sample, built layer by layer.
            for m in range(network.depth, j + 1, -1):
                width = network.W(m).shape[1]
                shapes.append(((batch, classes, width), (width, network.W(m - 1).shape[0])))
    operands = [(rng.standard_normal(left), rng.standard_normal(right)) for left, right in shapes]
    with threadpool_limits(limits=threads, user_api="blas"):
        return sum(_best_seconds(lambda a=a, b=b: a @ b) for a, b in operands)


def check_bound(checker: Checker, threads: int, *, rows: int | None = None) -> Bound:
    """The bound for the full check of ``checker``'s network with ``threads`` threads."""
    if rows is None:
        rows = moving_rows(checker, method_steps(checker))
    return Bound(
        rows=rows,
        classes=checker.network.W(checker.network.depth).shape[0],
        exp_ns=_throughput_ns(np.exp, threads),
        log_ns=_throughput_ns(np.log, threads),
        product_seconds=product_seconds(checker, threads),
        threads=threads,
    )
