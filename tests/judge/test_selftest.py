"""The selftest: every mutant is caught on the right row, and the correct build passes."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_check.cli import main
from backprop_check.core.backprop import backward
from backprop_check.judge.checker import Checker
from backprop_check.judge.selftest import MUTANTS, Mutant, run_selftest
from backprop_check.spec.build import build_problem

from ..helpers import derivative_of

EXPECTED_ROWS = {
    "sigma-for-sigma-prime": "φ³ (Eq. 2, layer 3)",
    "a-j-for-a-j-minus-1": "∇W³ (Eq. 3, layer 3)",
    "bce-sign": "φ⁴ (Eq. 1, layer 4)",
    "sigma-prime-at-x": "φ³ (Eq. 2, layer 3)",
    "missing-transpose": "φ² (Eq. 2, layer 2)",
    "sigma-prime-at-a": "φ³ (Eq. 2, layer 3)",
    "mse-without-2-over-n": "φ⁴ (Eq. 1, layer 4)",
    "sum-over-batch": "∇W⁴ (Eq. 3, layer 4)",
    "bias-not-reduced": "∇b⁴ (Eq. 4, layer 4)",
    "softmax-sign": "φ⁴ (Eq. 1, layer 4)",
    "relu-prime-half-at-zero": "φ¹ (Eq. 2, layer 1)",
}


@pytest.fixture(scope="module")
def report():
    return run_selftest()


def test_the_correct_build_passes_everywhere(report) -> None:
    assert report.correct_passed, report.correct_failures
    assert report.passed


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_each_mutant_is_caught_on_its_row(report, name: str) -> None:
    result = next(r for r in report.results if r.name == name)
    assert result.caught
    assert result.row == EXPECTED_ROWS[name]
    assert result.error > 1e-3


def test_the_zoo_covers_the_printed_errata_and_the_common_slips() -> None:
    assert {m.name for m in MUTANTS} == set(EXPECTED_ROWS)
    errata = [m for m in MUTANTS if m.origin.startswith("docs/derivation.md#errata-")]
    # Each printed erratum is named after its section of docs/derivation.md.
    assert sorted(m.origin.split("#errata-")[1] for m in errata) == sorted(m.name for m in errata)
    assert len(errata) == 4


def test_the_relu_convention_explains_why_it_needs_its_own_case(report) -> None:
    result = next(r for r in report.results if r.name == "relu-prime-half-at-zero")
    mutant = next(m for m in MUTANTS if m.name == "relu-prime-half-at-zero")
    assert result.why_not
    assert result.network != next(r.network for r in report.results if r.name == "bce-sign")
    # What the reason says holds: on the usual network the mutant goes unseen, ...
    usual = dataclasses.replace(mutant, special_case=None)
    assert Checker(usual.config(), analytic=mutant.analytic).run().passed
    # ... while its own network puts a whole sample of z¹ exactly on 0, ...
    config = mutant.config()
    network, x, _ = build_problem(config)
    assert np.any(np.all(network.forward(x).z(1) == 0.0, axis=1))
    # ... where both legitimate conventions pass and only the ½ of neither side fails.
    for legitimate in (0.0, 1.0):
        steps = derivative_of("relu", lambda z, at=legitimate: np.heaviside(z, at))
        assert Checker(config, analytic=steps).run().passed


def test_a_mutant_that_changes_nothing_is_reported_missed() -> None:
    harmless = Mutant("no-op", "test", "the correct code", backward)
    result = run_selftest((harmless,))
    assert not result.passed
    assert result.results[0].caught is False
    assert result.results[0].row == ""


def test_cli_selftest_exit_code_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["selftest"])
    assert result.exit_code == 0
    assert f"PASSED: {len(MUTANTS)} of {len(MUTANTS)} mutants caught." in result.stdout
    document = json.loads(runner.invoke(main, ["selftest", "--format", "json"]).stdout)
    assert document["passed"] is True
    assert [m["name"] for m in document["mutants"]] == [m.name for m in MUTANTS]
