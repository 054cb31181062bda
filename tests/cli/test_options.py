"""Options: sizes that cannot be, and more threads than the machine has."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from backprop_check.cli import main
from backprop_check.judge import budget, checker

from ..helpers import ROOT

SOFTMAX_CCE = ROOT / "configs" / "softmax_cce.yaml"


@pytest.mark.parametrize("value", ["1e400G", "inf", "1e30G", "nanM", "-5G"])
def test_an_impossible_memory_size_is_exit_2_not_a_traceback(runner: CliRunner, value) -> None:
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--max-memory", value])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert f"Invalid value for '--max-memory': {value!r} " in result.stderr


def test_the_largest_sensible_size_is_accepted(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--max-memory", "1024G"])
    assert result.exit_code == 0, result.output


def test_jobs_beyond_the_cpus_are_capped_with_a_note(runner: CliRunner, monkeypatch) -> None:
    monkeypatch.setattr(budget, "available_cpus", lambda: 3)
    used = []
    real = checker.Checker.run

    def record_jobs(self, **kwargs):
        used.append(self.jobs)
        return real(self, **kwargs)

    monkeypatch.setattr(checker.Checker, "run", record_jobs)
    args = ["run", str(SOFTMAX_CCE), "--format", "json"]
    result = runner.invoke(main, [*args, "--jobs", "100000"])
    assert result.exit_code == 0, result.output
    assert result.stderr == "Note: --jobs 100000 is more than the 3 CPUs here; using 3.\n"
    assert json.loads(result.stdout)["passed"] is True
    quiet = runner.invoke(main, [*args, "--jobs", "2"])
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    assert used == [3, 2]
