"""Benchmark the finite-difference engine against the usual ways of checking gradients.

Everything runs in one process, on fixed seeds, for two networks:

* ``mnist``: 784 → 256 relu → 128 relu → 10 softmax, categorical cross-entropy, batch 64.
* ``small``: 64 → 128 relu → 64 relu → 10 softmax, categorical cross-entropy, batch 32.

For each network it measures

* **ours**: wall time of ``Checker(config).run()`` (construction included): central differences
  with eps 1e-6 for every element of every W, b and φ (pre-activation); best of a few runs;
* **ours, 1 thread**: the same with ``Checker(config, jobs=1)``;
* **naive loop**: the CS231n-style loop (perturb one element in place by ±eps, call
  ``network.mean_loss`` for a full numpy forward each time, restore), timed on a fixed random
  subset of W and b elements and extrapolated linearly to all of them;
* **torch gradcheck** (only if ``import torch`` works): ``torch.autograd.gradcheck`` in float64,
  ``fast_mode=False``, on the same weights, batch, MLP and loss written in torch; run on a subset
  of the parameters (all biases and the last weight matrix) and extrapolated per element, or on
  every parameter when that is estimated to take under 15 s.

The naive loop and gradcheck cover only W and b, while ours also checks every φ element, so the
ratios are conservative. It also measures the peak memory of the mnist check (``tracemalloc``,
which numpy reports its buffers to, and the process's ``ru_maxrss``), the start-up time of
``python -m backprop_check --help`` against a bare ``python -c pass``, and directions mode
(``directions=4``) on a ~10M-parameter network. Finally it states the targets and whether they hold.

Run it from the repository root::

    python benchmarks/bench_engine.py                 # everything (torch if importable)
    python benchmarks/bench_engine.py --quick         # no torch, no 10M network, fewer repeats
    python benchmarks/bench_engine.py --json out.json # also write the numbers as JSON

torch is not a dependency of the project; to include it, run the script with the interpreter of
a separate environment that has both torch and this package installed.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from backprop_check.core.network import Network
from backprop_check.judge.checker import DEFAULT_JOBS, Checker
from backprop_check.spec.build import build_problem
from backprop_check.spec.config import Config, load_config

Array = np.ndarray

EPS = 1e-6
SUBSET_SEED = 2024
NAIVE_SUBSET = 2000
TORCH_FULL_LIMIT = 15.0  # seconds: run gradcheck on every parameter when estimated below this
TORCH_ATOL, TORCH_RTOL = 1e-5, 1e-3
STARTUP_REPEATS = 5
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


def run_checker(config: Config, jobs: int = DEFAULT_JOBS) -> Checker:
    """Build and run a full check; the benchmark is meaningless unless it passes."""
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
    """Every method's seconds for one network, printed as a table."""
    config = load_config(NETWORKS[name])
    ours_seconds, checker = best_time(lambda: run_checker(config), repeats)
    single_seconds, _ = best_time(lambda: run_checker(config, jobs=1), repeats)
    total = parameter_count(checker.network)
    elements = checker.element_count()
    phi = elements - total

    rows = [
        Row(
            "ours",
            "ours",
            ours_seconds,
            True,
            f"best of {repeats}; jobs={DEFAULT_JOBS}; {elements:,} elements (W, b and {phi:,} φ)",
        ),
        Row("ours, 1 thread", "1 thread", single_seconds, True, f"best of {repeats}; jobs=1"),
        bench_naive(config, checker, subset),
    ]
    if with_torch:
        rows.append(bench_torch(config))
    for row in rows[1:]:
        row.ratio = row.seconds / ours_seconds
    for row in rows[2:]:
        row.note += f"; vs 1 thread {row.seconds / single_seconds:,.0f}×"

    layers = " → ".join(
        [str(config.input_size)] + [f"{layer.units} {layer.activation}" for layer in config.layers]
    )
    print(f"\n== {name}: {layers}, CCE, batch {config.batch_size}, {total:,} parameters")
    print_table(
        ["method", "seconds", "ratio", "note"],
        [
            [
                row.method,
                format_seconds(row.seconds),
                "—" if row.ratio is None else f"{row.label} / ours = {row.ratio:,.1f}×",
                ("measured" if row.measured else "EXTRAPOLATED")
                + (f" — {row.note}" if row.note else ""),
            ]
            for row in rows
        ],
    )
    if not with_torch:
        print("(torch gradcheck skipped)")
    return {
        "parameters": total,
        "elements_checked": elements,
        "rows": [asdict(row) for row in rows],
    }


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


def bench_startup() -> dict[str, float]:
    """`python -m backprop_check --help` against a bare interpreter start."""
    help_seconds = best_subprocess_seconds(
        [sys.executable, "-m", "backprop_check", "--help"], STARTUP_REPEATS
    )
    bare_seconds = best_subprocess_seconds([sys.executable, "-c", "pass"], STARTUP_REPEATS)
    print(f"\n== start-up (best of {STARTUP_REPEATS})")
    print(f"python -m backprop_check --help: {help_seconds:.3f} s")
    print(f"python -c pass:                  {bare_seconds:.3f} s")
    return {"help_seconds": help_seconds, "bare_python_seconds": bare_seconds}


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


def ratio_of(network: dict[str, Any], method: str) -> float | None:
    return next((row["ratio"] for row in network["rows"] if row["method"] == method), None)


def evaluate_targets(results: dict[str, Any]) -> list[TargetResult]:
    mnist, small = results["networks"]["mnist"], results["networks"]["small"]
    ours = mnist["rows"][0]["seconds"]
    torch_ratio = ratio_of(mnist, "torch gradcheck")
    naive_mnist = ratio_of(mnist, "naive loop (CS231n)")
    naive_small = ratio_of(small, "naive loop (CS231n)")
    peak = results["memory"]["tracemalloc_peak_bytes"]
    startup = results["startup"]["help_seconds"]
    directions = results.get("directions")
    return [
        TargetResult("mnist full check ≤ 2.5 s", f"{ours:.2f} s", ours <= 2.5),
        TargetResult(
            "mnist ≥ 100× faster than torch gradcheck",
            "not measured" if torch_ratio is None else f"{torch_ratio:,.0f}×",
            None if torch_ratio is None else torch_ratio >= 100,
        ),
        TargetResult(
            "mnist ≥ 100× faster than the naive loop", f"{naive_mnist:,.0f}×", naive_mnist >= 100
        ),
        TargetResult(
            "small ≥ 20× faster than the naive loop", f"{naive_small:,.0f}×", naive_small >= 20
        ),
        TargetResult("mnist peak memory < 1 GiB", f"{peak / 2**20:,.0f} MiB", peak < GiB),
        TargetResult("--help well under 0.5 s (≤ 0.25 s)", f"{startup:.3f} s", startup <= 0.25),
        TargetResult(
            "directions=4 on 10M parameters in seconds (≤ 10 s, passes)",
            "not measured" if directions is None else f"{directions['seconds']:.2f} s",
            None
            if directions is None
            else directions["seconds"] <= 10 and bool(directions["passed"]),
        ),
    ]


def print_targets(targets: Sequence[TargetResult]) -> None:
    print("\n== targets")
    verdict = {True: "HOLDS", False: "MISSED", None: "not measured"}
    print_table(
        ["target", "measured", "verdict"],
        [[t.target, t.measured, verdict[t.holds]] for t in targets],
    )


# ----------------------------------------------------------------------------- main


def environment() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "jobs": DEFAULT_JOBS,
        "machine": platform.machine(),
    }
    if torch_available():
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="skip torch and the 10M network, fewer repeats"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with_torch = not args.quick and torch_available()
    results: dict[str, Any] = {"environment": environment(), "quick": args.quick}
    print("bench_engine: " + ", ".join(f"{k} {v}" for k, v in results["environment"].items()))
    if not args.quick and not with_torch:
        print("note: `import torch` failed; torch gradcheck is skipped.")

    results["startup"] = bench_startup()
    results["networks"] = {
        "mnist": bench_network(
            "mnist", repeats=1 if args.quick else 2, subset=NAIVE_SUBSET, with_torch=with_torch
        ),
        "small": bench_network(
            "small", repeats=1 if args.quick else 3, subset=NAIVE_SUBSET, with_torch=with_torch
        ),
    }
    results["memory"] = bench_memory("mnist")
    if not args.quick:
        results["directions"] = bench_directions()

    targets = evaluate_targets(results)
    print_targets(targets)
    results["targets"] = [asdict(t) for t in targets]
    results["maxrss_bytes_at_end"] = max_rss_bytes()
    print(f"\nru_maxrss at the end of the run: {results['maxrss_bytes_at_end'] / 2**20:,.1f} MiB")

    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
