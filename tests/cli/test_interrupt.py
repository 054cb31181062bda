"""Ctrl-C in every command: exit 130 and a line saying what was done, never "Aborted!"."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from backprop_check import check, watching
from backprop_check.cli import main
from backprop_check.judge import checker, explain, selftest

from ..helpers import ROOT

SOFTMAX_CCE = ROOT / "configs" / "softmax_cce.yaml"


def _interrupted(result: Result) -> str:
    assert result.exit_code == 130, result.output
    assert "Aborted" not in result.output
    assert "Traceback" not in result.output
    assert result.stderr.count("\n") == 1
    return result.stderr


def _ctrl_c(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


def test_sweep_says_how_many_steps_were_done(runner: CliRunner, monkeypatch) -> None:
    real = checker.Checker.run
    calls = []

    def interrupt_on_the_fourth(self, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(self, **kwargs)

    monkeypatch.setattr(checker.Checker, "run", interrupt_on_the_fourth)
    stderr = _interrupted(runner.invoke(main, ["sweep", str(SOFTMAX_CCE)]))
    assert stderr == f"Interrupted while sweeping {SOFTMAX_CCE}: 3 of 12 steps done.\n"


def test_selftest(runner: CliRunner, monkeypatch) -> None:
    monkeypatch.setattr(selftest, "run_selftest", _ctrl_c)
    stderr = _interrupted(runner.invoke(main, ["selftest"]))
    assert stderr == (
        "Interrupted: bpcheck selftest stopped before every mutant had run; no verdict.\n"
    )


def test_explain(runner: CliRunner, monkeypatch) -> None:
    monkeypatch.setattr(explain, "explain", _ctrl_c)
    stderr = _interrupted(runner.invoke(main, ["explain", str(SOFTMAX_CCE)]))
    assert stderr == "Interrupted: bpcheck explain stopped before it finished.\n"


def test_watch_says_how_many_checks_it_ran(runner: CliRunner, monkeypatch) -> None:
    def two_checks_then_ctrl_c(paths, on_change, *, interval):
        on_change()
        on_change()
        raise KeyboardInterrupt

    monkeypatch.setattr(watching, "watch_files", two_checks_then_ctrl_c)
    result = runner.invoke(main, ["watch", str(SOFTMAX_CCE)])
    assert _interrupted(result) == f"Stopped watching {SOFTMAX_CCE} after 2 checks.\n"
    assert result.stdout.count("PASSED: 9 of 9 checks.") == 2


@pytest.mark.parametrize("where", ["loading", "checking"])
def test_run_before_any_row_is_done(runner: CliRunner, monkeypatch, where: str) -> None:
    if where == "loading":
        monkeypatch.setattr("backprop_check.spec.config.load_config", _ctrl_c)
    else:
        monkeypatch.setattr(checker.Checker, "run", _ctrl_c)
    stderr = _interrupted(runner.invoke(main, ["run", str(SOFTMAX_CCE)]))
    assert stderr.startswith(f"Interrupted while checking {SOFTMAX_CCE}: ")


def test_run_reads_the_rows_an_interrupt_carries(runner: CliRunner, monkeypatch) -> None:
    rows = check(SOFTMAX_CCE).checks

    class Carrying(KeyboardInterrupt):
        completed, total = rows[:3], len(rows)

    def interrupt_with_rows(self, **kwargs):
        raise Carrying

    monkeypatch.setattr(checker.Checker, "run", interrupt_with_rows)
    stderr = _interrupted(runner.invoke(main, ["run", str(SOFTMAX_CCE)]))
    assert stderr == (
        f"Interrupted while checking {SOFTMAX_CCE}: 3 of 9 checks done, 3 passed, 0 failed.\n"
    )
