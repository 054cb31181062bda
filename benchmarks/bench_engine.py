"""Benchmark the finite-difference engine against the limit and the usual ways of checking.

Everything runs on fixed seeds, for two networks:

* ``mnist``: 784 → 256 relu → 128 relu → 10 softmax, categorical cross-entropy, batch 64.
* ``small``: 64 → 128 relu → 64 relu → 10 softmax, categorical cross-entropy, batch 32.

For each network it measures

* **ours**: wall time of ``Checker(config).run()`` (construction included): a full central
  difference check of every element of every W, b and φ (pre-activation); best of a few runs,
  with the default ``--jobs``, with 1 thread and with 2;
* **the bound** (:mod:`bound`): the work no check can skip, counted (rows whose step moves a^j,
  each with an exp per logit and a log; the forward, backward and Jacobian products) and priced at
  this machine's measured exp/log throughput and product speed, with as many threads as the row
  it is compared with. ``÷ bound`` is how close to that limit a method comes;
* **naive loop**: the CS231n-style loop (perturb one element in place by ±eps, call
  ``network.mean_loss`` for a full numpy forward each time, restore), timed on a fixed random
  subset of W and b elements and extrapolated linearly to all of them;
* **torch gradcheck** (only if ``import torch`` works): ``torch.autograd.gradcheck`` in float64,
  ``fast_mode=False``, on the same weights, batch, MLP and loss written in torch; run on a subset
  of the parameters (all biases and the last weight matrix) and extrapolated per element, or on
  every parameter when that is estimated to take under 15 s.

The naive loop and gradcheck cover only W and b, while ours also checks every φ element, so the
ratios are conservative. It also measures the command line: ``bpcheck run`` on the small network
(process start excluded by subtracting ``python -c "import numpy, yaml, click"``), on a tiny
config against that same baseline, and ``--help`` against ``python -c pass``; the peak memory of
the mnist check; directions mode on a ~10M-parameter network. Where OPENBLAS_CORETYPE is set, the
networks and the command line are measured again in a child process with it removed. Finally it
states the targets and whether they hold, for both.

Run it from the repository root::

    python benchmarks/bench_engine.py                 # everything (torch if importable)
    python benchmarks/bench_engine.py --quick         # no torch, no 10M network, fewer repeats
    python benchmarks/bench_engine.py --json out.json # also write the numbers as JSON

torch is not a dependency of the project; to include it, run the script with the interpreter of
a separate environment that has both torch and this package installed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml
from bound import Bound, check_bound, method_steps, moving_rows, run_bound
from threadpoolctl import threadpool_info

import backprop_check
from backprop_check.core.network import Network
from backprop_check.judge.budget import idle_cpus, usable_jobs
from backprop_check.judge.checker import Checker
from backprop_check.spec.build import build_problem
from backprop_check.spec.config import Config, load_config

Array = np.ndarray

EPS = 1e-6
SUBSET_SEED = 2024
NAIVE_SUBSET = 2000
TORCH_FULL_LIMIT = 15.0  # seconds: run gradcheck on every parameter when estimated below this
TORCH_ATOL, TORCH_RTOL = 1e-5, 1e-3
STARTUP_REPEATS = 5
CORETYPE = "OPENBLAS_CORETYPE"
GiB = 2**30

T = TypeVar("T")

NETWORKS: dict[str, dict[str, Any]] = {
    "mnist": {
        "input_size": 784,
        "layers": [
            {"units": 256, "activation": "relu"},
            {"units": 128, "activation": "relu"},
            {"units": 10, "activation": "softmax"},
        ],
        "loss": "cce",
        "batch_size": 64,
        "seed": 0,
    },
    "small": {
        "input_size": 64,
        "layers": [
            {"units": 128, "activation": "relu"},
            {"units": 64, "activation": "relu"},
            {"units": 10, "activation": "softmax"},
        ],
        "loss": "cce",
        "batch_size": 32,
        "seed": 0,
    },
}

TINY_NETWORK: dict[str, Any] = {
    "input_size": 4,
    "layers": [{"units": 3, "activation": "relu"}, {"units": 2, "activation": "softmax"}],
    "loss": "cce",
    "batch_size": 4,
    "seed": 0,
}

LARGE_NETWORK: dict[str, Any] = {
    "input_size": 1000,
    "layers": [
        {"units": 2000, "activation": "relu"},
        {"units": 2000, "activation": "tanh"},
        {"units": 2000, "activation": "relu"},
        {"units": 10, "activation": "softmax"},
    ],
    "loss": "cce",
    "batch_size": 16,
    "seed": 0,
}


# ----------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of a network's table. ``ratio`` is this row's seconds / ours."""

    method: str
    label: str  # short name for the ratio column
    seconds: float
    measured: bool
    note: str = ""
    ratio: float | None = None
    threads: int = 1  # the bound it is compared with has as many
    bound_ratio: float | None = None
    floor_ratio: float | None = None


@dataclass
class TargetResult:
    """One target line: what is promised, what was measured, whether it holds."""

    target: str
    measured: str
    holds: bool | None  # None: not measured in this run


# ----------------------------------------------------------------------------- helpers


def parameter_count(network: Network) -> int:
    """Elements of all W and b tensors."""
    return sum(t.size for t in (*network.weights, *network.biases))


def best_time(function: Callable[[], T], repeats: int) -> tuple[float, T]:
    """The fastest of ``repeats`` (≥ 1) timed calls, and the last call's result."""
    timings = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def interleaved_times(
    config: Config, repeats: int
) -> tuple[dict[int, float], dict[int, Bound], int]:
    """Best seconds of a full check per thread count (1, 2 and the default's), each followed by
    its bound with as many threads run for real (:func:`bound.run_bound`); everything takes turns
    in each round, so that a change of the machine's load falls on all alike. Also the jobs the
    default chose in most rounds.

    The default (no --jobs, as for `bpcheck run`) is worked out at the start of each round, as a
    check started then would; a check given no --jobs is the same as one given what it chose, so
    it is timed as that thread count, with as many runs as the others.
    """
    checker = run_checker(config, jobs=1)  # warm-up: caches, page faults, BLAS threads
    rows = moving_rows(checker, method_steps(checker))
    bounds = {n: check_bound(checker, n, rows=rows) for n in (1, 2)}
    best = dict.fromkeys(bounds, math.inf)
    executed = dict.fromkeys(bounds, math.inf)
    chosen: list[int] = []
    for round_ in range(repeats):
        chosen.append(usable_jobs(None, config))
        if chosen[-1] not in bounds:
            bounds[chosen[-1]] = check_bound(checker, chosen[-1], rows=rows)
            best[chosen[-1]] = executed[chosen[-1]] = math.inf
        order = sorted(bounds) if round_ % 2 == 0 else sorted(bounds, reverse=True)
        for jobs in order:
            seconds, _ = best_time(lambda jobs=jobs: run_checker(config, jobs=jobs), 1)
            best[jobs] = min(best[jobs], seconds)
            executed[jobs] = min(executed[jobs], run_bound(bounds[jobs]))
    bounds = {n: dataclasses.replace(bounds[n], executed=executed[n]) for n in bounds}
    return best, bounds, max(set(chosen), key=chosen.count)


def run_checker(config: Config, jobs: int | None = None) -> Checker:
    """Build and run a full check (``jobs`` None: the default); it must pass to mean anything."""
    checker = Checker(config, jobs=jobs)
    report = checker.run()
    if not report.passed:
        raise RuntimeError(f"the check failed for {config.input_size}-input network")
    return checker


def format_seconds(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:,.1f}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    for line in (headers, ["-" * width for width in widths], *rows):
        cells = (str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        print("  ".join(cells).rstrip())


# ----------------------------------------------------------------------------- naive loop


def subset_elements(network: Network, count: int, seed: int) -> list[tuple[Array, Array]]:
    """(tensor, flat indices) pairs: ``count`` elements over all W and b, proportional to size."""
    tensors = [*network.weights, *network.biases]
    total = sum(t.size for t in tensors)
    rng = np.random.default_rng(seed)
    chosen = []
    for tensor in tensors:
        share = min(tensor.size, max(1, round(count * tensor.size / total)))
        chosen.append((tensor, np.sort(rng.choice(tensor.size, size=share, replace=False))))
    return chosen


def naive_gradients(network: Network, x: Array, y: Array, tensor: Array, indices: Array) -> Array:
    """CS231n style: perturb one element in place, full forward at ±eps, restore."""
    flat = tensor.reshape(-1)  # a view: writing to it perturbs the network's own tensor
    gradients = np.empty(indices.size)
    for n, index in enumerate(indices):
        old = flat[index]
        flat[index] = old + EPS
        plus = network.mean_loss(x, y)
        flat[index] = old - EPS
        minus = network.mean_loss(x, y)
        flat[index] = old
        gradients[n] = (plus - minus) / (2 * EPS)
    return gradients


def bench_naive(config: Config, checker: Checker, subset: int) -> Row:
    """Time the naive loop on a subset, compare it with the analytic gradients, extrapolate."""
    network, x, y = build_problem(config)
    chosen = subset_elements(network, subset, SUBSET_SEED)
    analytic = [*checker.gradients.dW, *checker.gradients.db]
    started = time.perf_counter()
    numeric = [naive_gradients(network, x, y, tensor, indices) for tensor, indices in chosen]
    elapsed = time.perf_counter() - started
    worst = max(
        float(np.max(np.abs(values - grad.reshape(-1)[indices])))
        for values, (_, indices), grad in zip(numeric, chosen, analytic, strict=True)
    )
    timed = sum(indices.size for _, indices in chosen)
    total = parameter_count(network)
    return Row(
        method="naive loop (CS231n)",
        label="naive",
        seconds=elapsed / timed * total,
        measured=False,
        note=f"from {timed:,} of {total:,} W/b elements timed in {elapsed:.2f} s; "
        f"max |naive − analytic| {worst:.1e}",
    )


# ----------------------------------------------------------------------------- torch


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_gradcheck(network: Network, x: Array, y: Array, *, full: bool) -> tuple[float, int, bool]:
    """Seconds, input elements and result of gradcheck on the same MLP and loss in torch.

    ``full`` makes every W and b an input; otherwise only the biases and the last W are, the
    other weights staying fixed.
    """
    import torch

    names = [activation.name for activation in network.activation_fns]
    if names[-1] != "softmax" or network.loss.name != "categorical_crossentropy":
        raise ValueError("the torch model is written for a softmax output with CCE")
    hidden = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
    hidden_fns = [hidden[name] for name in names[:-1]]

    weights = [torch.tensor(w, dtype=torch.float64) for w in network.weights]
    biases = [torch.tensor(b, dtype=torch.float64) for b in network.biases]
    inputs_x = torch.tensor(x, dtype=torch.float64)
    labels = torch.tensor(y, dtype=torch.float64)
    depth = len(weights)
    # Positions in the flat list W1…WJ, b1…bJ that gradcheck perturbs.
    variable = list(range(2 * depth)) if full else [depth - 1, *range(depth, 2 * depth)]
    parameters = [*weights, *biases]

    def loss(*values: torch.Tensor) -> torch.Tensor:
        current = list(parameters)
        for position, value in zip(variable, values, strict=True):
            current[position] = value
        a = inputs_x
        for j in range(depth):
            z = a @ current[j].T + current[depth + j]
            a = hidden_fns[j](z) if j < depth - 1 else torch.log_softmax(z, dim=-1)
        return -(labels * a).sum(dim=-1).mean()

    expected = network.mean_loss(x, y)
    if abs(float(loss(*[parameters[p] for p in variable])) - expected) > 1e-12 * abs(expected):
        raise RuntimeError("the torch model does not reproduce network.mean_loss")

    inputs = tuple(parameters[p].clone().requires_grad_(True) for p in variable)
    gc.collect()
    started = time.perf_counter()
    passed = torch.autograd.gradcheck(
        loss,
        inputs,
        eps=EPS,
        atol=TORCH_ATOL,
        rtol=TORCH_RTOL,
        fast_mode=False,
        raise_exception=False,
    )
    elapsed = time.perf_counter() - started
    return elapsed, sum(t.numel() for t in inputs), bool(passed)


def bench_torch(config: Config) -> Row:
    """gradcheck on a subset, extrapolated per element; on everything if that is quick enough."""
    network, x, y = build_problem(config)
    total = parameter_count(network)
    elapsed, elements, passed = torch_gradcheck(network, x, y, full=False)
    estimate = elapsed / elements * total
    if estimate < TORCH_FULL_LIMIT:
        elapsed, elements, passed = torch_gradcheck(network, x, y, full=True)
        return Row(
            method="torch gradcheck",
            label="torch",
            seconds=elapsed,
            measured=True,
            note=f"measured on all {total:,} W/b elements; passed={passed}",
        )
    return Row(
        method="torch gradcheck",
        label="torch",
        seconds=estimate,
        measured=False,
        note=f"from {elements:,} of {total:,} W/b elements (all b, last W) "
        f"in {elapsed:.2f} s; passed={passed}",
    )


# ----------------------------------------------------------------------------- sections


def bench_network(name: str, repeats: int, subset: int, with_torch: bool) -> dict[str, Any]:
    """Every method's seconds for one network, against each other and the bound, as a table."""
    config = load_config(NETWORKS[name])
    by_jobs, bounds, default_jobs = interleaved_times(config, repeats)
    ours_seconds, single_seconds, double_seconds = (by_jobs[n] for n in (default_jobs, 1, 2))
    checker = run_checker(config)
    total = parameter_count(checker.network)
    elements = checker.element_count()
    phi = elements - total

    rows = [
        Row(
            "ours",
            "ours",
            ours_seconds,
            True,
            f"best of {repeats}, 1 and 2 threads taking turns; jobs={default_jobs} "
            f"(the default, worked out as each round starts); {elements:,} elements "
            f"(W, b and {phi:,} φ)",
            threads=default_jobs,
        ),
        Row("ours, 1 thread", "1 thread", single_seconds, True, "jobs=1", threads=1),
        Row("ours, 2 threads", "2 threads", double_seconds, True, "jobs=2", threads=2),
        bench_naive(config, checker, subset),
    ]
    if with_torch:
        rows.append(bench_torch(config))
    for row in rows:
        row.bound_ratio = row.seconds / bounds[row.threads].seconds
        row.floor_ratio = row.seconds / bounds[row.threads].floor
    for row in rows[1:]:
        row.ratio = row.seconds / ours_seconds

    layers = " → ".join(
        [str(config.input_size)] + [f"{layer.units} {layer.activation}" for layer in config.layers]
    )
    print(f"\n== {name}: {layers}, CCE, batch {config.batch_size}, {total:,} parameters")
    print_table(
        ["method", "÷ bound", "÷ floor", "ratio", "seconds", "note"],
        [
            [
                row.method,
                f"{row.bound_ratio:,.1f}×",
                f"{row.floor_ratio:,.1f}×",
                "—" if row.ratio is None else f"{row.label} / ours = {row.ratio:,.1f}×",
                format_seconds(row.seconds),
                ("measured" if row.measured else "EXTRAPOLATED")
                + (f" — {row.note}" if row.note else ""),
            ]
            for row in rows
        ],
    )
    print_bounds(bounds)
    if not with_torch:
        print("(torch gradcheck skipped)")
    return {
        "parameters": total,
        "elements_checked": elements,
        "default_jobs": default_jobs,
        "rows": [asdict(row) for row in rows],
        "bounds": {
            str(threads): {**asdict(bound), "seconds": bound.seconds}
            for threads, bound in bounds.items()
        },
    }


def print_bounds(bounds: dict[int, Bound]) -> None:
    any_bound = next(iter(bounds.values()))
    print(
        f"bound: {any_bound.rows:,} moving (element, sample, step) rows × "
        f"({any_bound.classes} exp + 1 log); products at their measured speed"
    )
    for threads, bound in bounds.items():
        print(
            f"  {threads} thread{'s' if threads > 1 else ''}: exp {bound.exp_ns:.2f} ns, "
            f"log {bound.log_ns:.2f} ns per number, products {bound.product_seconds * 1e3:.1f} ms"
            f" → {bound.from_rates:.3f} s; run for real next to each check: best "
            f"{bound.seconds:.3f} s (the bound used)"
        )
    print(
        "floor: the same rows × 1 log, and the products (no exps: where σ is linear the engine "
        "sums them by their moments) → "
        + ", ".join(f"{n} thread{'s' if n > 1 else ''} {b.floor:.3f} s" for n, b in bounds.items())
    )
    if 1 in bounds and 2 in bounds:
        print(
            f"  2 threads compute exp at {bounds[1].exp_ns / bounds[2].exp_ns:.2f}× the rate of one"
            " (2× when the second CPU is free)"
        )


def bench_memory(name: str) -> dict[str, float]:
    """Peak traced memory of a separate full check, and the process high-water mark after it."""
    config = load_config(NETWORKS[name])
    gc.collect()
    tracemalloc.start()
    run_checker(config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss = max_rss_bytes()
    print(f"\n== peak memory of the {name} check")
    print(f"tracemalloc peak (numpy buffers + Python objects): {peak / 2**20:,.1f} MiB")
    print(f"ru_maxrss of the whole process so far:           {maxrss / 2**20:,.1f} MiB")
    return {"tracemalloc_peak_bytes": peak, "maxrss_bytes_after": maxrss}


def max_rss_bytes() -> float:
    """The process's peak resident set size (Linux reports KiB, macOS bytes)."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(maxrss if sys.platform == "darwin" else maxrss * 1024)


def best_subprocess_seconds(argv: Sequence[str], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
    return best


def bench_command_line(naive_small_seconds: float, repeats: int) -> dict[str, float]:
    """The command line's own cost: start-up against bare interpreters, a real check run."""
    python, module = sys.executable, [sys.executable, "-m", "backprop_check"]
    # As `pip install` leaves it: byte-compiled (an editable install, under
    # PYTHONDONTWRITEBYTECODE, would compile every module from source at each start).
    package = Path(backprop_check.__file__).parent
    subprocess.run([python, "-m", "compileall", "-q", str(package)], check=True)
    with tempfile.TemporaryDirectory() as folder:
        tiny, small = Path(folder, "tiny.yaml"), Path(folder, "small.yaml")
        tiny.write_text(yaml.safe_dump(TINY_NETWORK), encoding="utf-8")
        small.write_text(yaml.safe_dump(NETWORKS["small"]), encoding="utf-8")
        commands = {
            "bare_python": [python, "-c", "pass"],
            "imports": [python, "-c", "import numpy, yaml, click"],
            "help": [*module, "--help"],
            "run_tiny_json": [*module, "run", str(tiny), "--format", "json"],
            "run_small_json": [*module, "run", str(small), "--format", "json"],
        }
        # The commands take turns, so that a change of the machine's load falls on all alike.
        seconds = dict.fromkeys(commands, math.inf)
        for _ in range(repeats):
            for name, argv in commands.items():
                seconds[name] = min(seconds[name], best_subprocess_seconds(argv, 1))
    small_check = max(seconds["run_small_json"] - seconds["imports"], 1e-9)
    seconds["small_check"] = small_check
    seconds["naive_small_ratio"] = naive_small_seconds / small_check
    print(f"\n== command line (best of {repeats}; the package byte-compiled, as pip installs it)")
    print_table(
        ["command", "seconds", "against"],
        [
            ["python -c pass", f"{seconds['bare_python']:.3f}", ""],
            ['python -c "import numpy, yaml, click"', f"{seconds['imports']:.3f}", ""],
            [
                "python -m backprop_check --help",
                f"{seconds['help']:.3f}",
                f"+{seconds['help'] - seconds['bare_python']:.3f} s over python -c pass",
            ],
            [
                "… run tiny.yaml --format json",
                f"{seconds['run_tiny_json']:.3f}",
                f"+{seconds['run_tiny_json'] - seconds['imports']:.3f} s over the imports",
            ],
            [
                "… run small.yaml --format json",
                f"{seconds['run_small_json']:.3f}",
                f"check {small_check:.3f} s without the start; naive loop / that = "
                f"{seconds['naive_small_ratio']:,.0f}×",
            ],
        ],
    )
    return seconds


def bench_directions() -> dict[str, float]:
    """directions=4 on the ~10M-parameter network, construction included."""
    config = load_config(LARGE_NETWORK).with_overrides(directions=4)
    gc.collect()
    started = time.perf_counter()
    checker = Checker(config)
    report = checker.run()
    seconds = time.perf_counter() - started
    total = parameter_count(checker.network)
    sizes = [str(config.input_size)] + [
        f"{layer.units} {layer.activation}" for layer in config.layers
    ]
    print(f"\n== directions mode: {' → '.join(sizes)}, batch {config.batch_size}")
    print(f"directions=4 on {total:,} parameters: {seconds:.2f} s, passed={report.passed}")
    return {"seconds": seconds, "parameters": total, "passed": report.passed}


# ----------------------------------------------------------------------------- targets


def ratio_of(network: dict[str, Any], method: str, key: str = "ratio") -> float | None:
    return next((row[key] for row in network["rows"] if row["method"] == method), None)


def default_against_best(network: dict[str, Any]) -> float:
    """The default's seconds over the better of 1 and 2 threads."""
    seconds = {row["method"]: row["seconds"] for row in network["rows"]}
    return seconds["ours"] / min(seconds["ours, 1 thread"], seconds["ours, 2 threads"])


def evaluate_targets(results: dict[str, Any]) -> list[TargetResult]:
    """The issue's targets: ratios measured in this run, never absolute times."""
    mnist = results["networks"]["mnist"]
    line = results["command_line"]
    ours_bound = ratio_of(mnist, "ours", "bound_ratio")
    single_bound = ratio_of(mnist, "ours, 1 thread", "bound_ratio")
    torch_ratio = ratio_of(mnist, "torch gradcheck")
    naive_mnist = ratio_of(mnist, "naive loop (CS231n)")
    peak = results.get("memory", {}).get("tracemalloc_peak_bytes")
    directions = results.get("directions")
    help_over = line["help"] - line["bare_python"]
    tiny_over = line["run_tiny_json"] - line["imports"]
    default_vs_best = {n: default_against_best(results["networks"][n]) for n in NETWORKS}
    return [
        TargetResult(
            f"mnist: default jobs ({mnist['default_jobs']}) within 10 % of the better of 1 and 2"
            " threads",
            f"{default_vs_best['mnist']:.2f}× (small: {default_vs_best['small']:.2f}×)",
            default_vs_best["mnist"] <= 1.1,
        ),
        TargetResult(
            f"mnist: ours ≤ 2× the bound (jobs={mnist['default_jobs']}; 1 thread)",
            f"{ours_bound:.1f}×; {single_bound:.1f}×",
            ours_bound <= 2,
        ),
        TargetResult(
            "small: bpcheck run (start excluded) ≥ 20× faster than the naive loop",
            f"{line['naive_small_ratio']:,.0f}×",
            line["naive_small_ratio"] >= 20,
        ),
        TargetResult(
            "run tiny --format json within 0.15 s of the imports",
            f"+{tiny_over:.3f} s",
            tiny_over <= 0.15,
        ),
        TargetResult(
            "--help within 0.1 s of python -c pass", f"+{help_over:.3f} s", help_over <= 0.1
        ),
        TargetResult(
            "mnist ≥ 100× faster than torch gradcheck",
            "not measured" if torch_ratio is None else f"{torch_ratio:,.0f}×",
            None if torch_ratio is None else torch_ratio >= 100,
        ),
        TargetResult(
            "mnist ≥ 100× faster than the naive loop", f"{naive_mnist:,.0f}×", naive_mnist >= 100
        ),
        TargetResult(
            "mnist peak memory < 1 GiB",
            "not measured" if peak is None else f"{peak / 2**20:,.0f} MiB",
            None if peak is None else peak < GiB,
        ),
        TargetResult(
            "directions=4 on 10M parameters in seconds (≤ 10 s, passes)",
            "not measured" if directions is None else f"{directions['seconds']:.2f} s",
            None
            if directions is None
            else directions["seconds"] <= 10 and bool(directions["passed"]),
        ),
    ]


def print_targets(targets: Sequence[TargetResult], unset: Sequence[TargetResult] | None) -> None:
    verdict = {True: "HOLDS", False: "MISSED", None: "not measured"}
    coretype = os.environ.get(CORETYPE)
    print("\n== targets" + (f" ({CORETYPE}={coretype} as set, and unset)" if coretype else ""))
    headers = ["target", "measured", "verdict"]
    if unset is not None:
        headers += ["unset: measured", "verdict"]
    lines = []
    for n, target in enumerate(targets):
        line = [target.target, target.measured, verdict[target.holds]]
        if unset is not None:
            line += [unset[n].measured, verdict[unset[n].holds]]
        lines.append(line)
    print_table(headers, lines)


# ----------------------------------------------------------------------------- main


def environment() -> dict[str, Any]:
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    info: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "idle_cpus": idle_cpus(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": ", ".join(
            f"{p['internal_api']} {p['version']} ({p['architecture']})" for p in blas
        ),
        CORETYPE: os.environ.get(CORETYPE, "unset"),
        "load": " ".join(f"{load:.1f}" for load in os.getloadavg()),
    }
    if torch_available():
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="skip torch and the 10M network, fewer repeats"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers as JSON")
    parser.add_argument(
        "--child",
        action="store_true",
        help="measure only the networks and the command line (the run without OPENBLAS_CORETYPE)",
    )
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, *, with_torch: bool) -> dict[str, Any]:
    """The networks and the command line: what OPENBLAS_CORETYPE may change."""
    results: dict[str, Any] = {"environment": environment(), "quick": args.quick}
    print("bench_engine: " + ", ".join(f"{k} {v}" for k, v in results["environment"].items()))
    results["networks"] = {
        "mnist": bench_network(
            "mnist", repeats=2 if args.quick else 7, subset=NAIVE_SUBSET, with_torch=with_torch
        ),
        "small": bench_network(
            "small", repeats=2 if args.quick else 7, subset=NAIVE_SUBSET, with_torch=with_torch
        ),
    }
    naive_small = next(
        row["seconds"]
        for row in results["networks"]["small"]["rows"]
        if row["method"] == "naive loop (CS231n)"
    )
    results["command_line"] = bench_command_line(naive_small, 3 if args.quick else STARTUP_REPEATS)
    return results


def without_coretype(args: argparse.Namespace) -> dict[str, Any] | None:
    """The same measurements in a child process whose environment lacks OPENBLAS_CORETYPE."""
    if CORETYPE not in os.environ:
        return None
    environment = {k: v for k, v in os.environ.items() if k != CORETYPE}
    print(f"\n######## again without {CORETYPE} (a child process) ########", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder, "unset.json")
        argv = [sys.executable, __file__, "--child", "--json", str(out)]
        subprocess.run([*argv, *(["--quick"] if args.quick else [])], check=True, env=environment)
        return json.loads(out.read_text(encoding="utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        results = measure(args, with_torch=False)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        return 0
    with_torch = not args.quick and torch_available()
    if not args.quick and not with_torch:
        print("note: `import torch` failed; torch gradcheck is skipped.")
    results = measure(args, with_torch=with_torch)
    results["memory"] = bench_memory("mnist")
    if not args.quick:
        results["directions"] = bench_directions()
    results["unset"] = without_coretype(args)

    targets = evaluate_targets(results)
    unset = None if results["unset"] is None else evaluate_targets(results["unset"])
    print_targets(targets, unset)
    results["targets"] = [asdict(t) for t in targets]
    if unset is not None:
        results["unset"]["targets"] = [asdict(t) for t in unset]
    results["maxrss_bytes_at_end"] = max_rss_bytes()
    print(f"\nru_maxrss at the end of the run: {results['maxrss_bytes_at_end'] / 2**20:,.1f} MiB")

    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
