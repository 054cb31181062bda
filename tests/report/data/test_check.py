"""Report data: plain values, strict JSON, a status per config."""

from __future__ import annotations

import json
import math

from backprop_check.judge import compare
from backprop_check.report.data import Comparison, RunResult, json_number


def test_json_number_turns_what_json_cannot_hold_into_null() -> None:
    assert [json_number(v) for v in (1.5, 0.0, math.inf, -math.inf, math.nan)] == [
        1.5,
        0.0,
        None,
        None,
        None,
    ]


def test_a_comparison_is_the_one_compare_returns() -> None:
    # One type for one fact: judge.compare builds the report's Comparison, not a copy of it.
    result = compare.compare([1.0, 2.0], [1.0, 2.5], rtol=1e-3, atol=1e-9)
    assert type(result) is Comparison
    assert (result.failed, result.passed, result.worst_index) == (1, False, (1,))


def test_an_unusable_config_is_invalid_and_says_why_in_json() -> None:
    result = RunResult("bad.yaml", error="bad.yaml, line 1: nope")
    assert result.status == "invalid"
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document == {"passed": False, "config": "bad.yaml", "error": "bad.yaml, line 1: nope"}
