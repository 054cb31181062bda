"""Issue 11's property run, in the suite: no false alarm, no silent pass, every method × dtype.

``NETWORKS_PER_CELL`` random networks of ``tests/verdict_networks.py`` for each of the ten
method × dtype cells (seeds 0, 1, …: derandomized), kink-heavy and saturated ones among them.
Correct gradients (built in, and a user's ReLU′(0) = 1) must pass; a corruption of the size the
method and dtype resolve must fail wherever it is resolvable. ``benchmarks/verdicts.py`` runs the
same on 500 and more networks and prints the table docs/reliability.md quotes.
"""

from __future__ import annotations

from collections import Counter

import pytest

from .verdict_networks import CELLS, FAMILIES, draw_network, judge_network

NETWORKS_PER_CELL = 20
# Counts per cell, for the summary printed at the end (pytest -s).
TALLIES: dict[tuple[str, str], Counter[str]] = {}


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    for (method, dtype), counts in TALLIES.items():
        print(
            f"\n[verdicts {method} {dtype}] {counts['networks']} networks, "
            f"{counts['correct checks']} correct checks, {counts['false alarms']} false alarms; "
            f"{counts['resolvable']} resolvable corruptions, {counts['silent passes']} silent "
            f"passes ({counts['not resolvable']} not resolvable, {counts['unjudged']} unjudged)",
            end="",
        )


@pytest.mark.parametrize(("method", "dtype"), CELLS, ids=["-".join(cell) for cell in CELLS])
def test_no_false_alarm_and_no_silent_pass(method: str, dtype: str) -> None:
    counts: Counter[str] = Counter()
    problems: list[str] = []
    for k in range(NETWORKS_PER_CELL):
        case = draw_network(k * len(CELLS) + CELLS.index((method, dtype)))
        assert (case.method, case.dtype) == (method, dtype)
        outcome = judge_network(case)
        counts["networks"] += 1
        counts[case.family] += 1
        counts.update(outcome.counts)
        problems += outcome.problems
    TALLIES[(method, dtype)] = counts
    assert problems == []
    assert (counts["false alarms"], counts["silent passes"]) == (0, 0)
    # The run judged something: correct checks on both sides, corruptions that had to fail.
    assert counts["correct checks"] > NETWORKS_PER_CELL
    assert counts["resolvable"] > 0
    assert {family for family in FAMILIES if counts[family]} >= {"plain", "saturated"}
