"""Issue 11's property run: false alarms and silent passes over many random networks.

For each network of ``tests/verdict_networks.py`` (seed 0, 1, …; the seed picks one of the ten
method × dtype cells in turn, so each gets a tenth) it checks correct gradients (built in, and a
user's ReLU′(0) = 1 where there is a ReLU) and seven corruptions of the size the method and dtype
resolve (``Tolerances.resolves``): one element and a whole tensor of ∇W, ∇b and φ, and σ′ of a
layer. It prints, per cell, the networks, the correct checks and false alarms, and the
corruptions: resolvable ones (the error exceeds twice the absolute tolerance the element is judged
with) and silent passes among them, those no tolerance could resolve, and those on kinks no
one-sided difference settles (left unjudged, and said so). Then the float32 table of what each
method resolves, and every false alarm or silent pass found, one line each, with its seed.

Run it from the repository root::

    python benchmarks/verdicts.py                    # 500 networks (about 30 s)
    python benchmarks/verdicts.py --networks 2000    # more
    python benchmarks/verdicts.py --start 500        # other networks
    python benchmarks/verdicts.py --json out.json    # also write the counts as JSON

The suite runs the same on 20 networks per cell (tests/test_verdicts.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backprop_check.numeric.finite_differences import METHODS  # noqa: E402
from tests.verdict_networks import (  # noqa: E402
    CELLS,
    FAMILIES,
    draw_network,
    judge_network,
    tally,
)

COLUMNS = (
    "networks",
    "correct checks",
    "false alarms",
    "resolvable",
    "silent passes",
    "not resolvable",
    "unjudged",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--networks", type=int, default=500)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    # As in the suite: a numpy warning reaching the user is a bug, not noise.
    warnings.simplefilter("error")
    started = time.perf_counter()
    outcomes = []
    for seed in range(args.start, args.start + args.networks):
        outcomes.append(judge_network(draw_network(seed)))
    seconds = time.perf_counter() - started
    cells = tally(outcomes)
    print(f"{args.networks} networks (seeds {args.start}–{args.start + args.networks - 1}), "
          f"{seconds:.0f} s\n")  # fmt: skip
    header = f"{'method':<13}{'dtype':<9}" + "".join(f"{c:>16}" for c in COLUMNS)
    print(header)
    totals = dict.fromkeys(COLUMNS, 0)
    for (method, dtype), counts in cells.items():
        print(f"{method:<13}{dtype:<9}" + "".join(f"{counts[c]:>16}" for c in COLUMNS))
        for column in COLUMNS:
            totals[column] += counts[column]
    print(f"{'all':<22}" + "".join(f"{totals[c]:>16}" for c in COLUMNS))
    families = {f: sum(cells[cell][f"family {f}"] for cell in CELLS) for f in FAMILIES}
    print("\nfamilies: " + ", ".join(f"{n} {f}" for f, n in families.items()))
    print("\nfloat32 resolves (Tolerances.resolves; kinks under the complex step: central's):")
    for name, method in METHODS.items():
        defaults = method.float32
        print(f"  {name:<13} {defaults.resolves:.2%}  (eps {defaults.eps:g}, rtol "
              f"{defaults.rtol:g}, atol {defaults.atol:g})")  # fmt: skip
    problems = [line for outcome in outcomes for line in outcome.problems]
    print(f"\n{len(problems)} false alarms or silent passes" + (":" if problems else "."))
    for line in problems:
        print(f"  {line}")
    if args.json:
        document = {
            "networks": args.networks,
            "start": args.start,
            "seconds": round(seconds, 1),
            "cells": [
                {"method": m, "dtype": d, **{c: cells[(m, d)][c] for c in COLUMNS}}
                for m, d in CELLS
            ],
            "families": families,
            "problems": problems,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
