"""The step sweep: the V of error against eps, the recommended eps, bug-or-numerical verdicts."""

from __future__ import annotations

import json
import math
import sys

import pytest

from backprop_check.core.activations import ACTIVATIONS
from backprop_check.errors import BackpropCheckError
from backprop_check.judge.checker import Checker
from backprop_check.judge.sweep import DEFAULT_STEPS, SweepReport, SweepRow, format_option, sweep
from backprop_check.report.data import ProgressEvent
from backprop_check.report.plot import write_sweep_plot
from backprop_check.spec.config import load_config

from ..helpers import derivative_of, small_config, square_config


def _checker(config: dict) -> Checker:
    return Checker(load_config(config))


def _row(name: str, report: SweepReport) -> SweepRow:
    return next(row for row in report.rows if row.symbol == name)


def _hand_row(layer: int, quantity: str, rel: tuple[float, ...], passed: tuple[bool, ...], **kw):
    fields = {
        "layer": layer,
        "quantity": quantity,
        "equation": 2,
        "max_rel_errors": rel,
        "max_abs_errors": rel,
        "passed": passed,
        "best_step": 1e-4,
        "verdict": "passes",
    }
    return SweepRow(**(fields | kw))


def _hand_report(*rows: SweepRow, configured_eps: float = 1e-6) -> SweepReport:
    return SweepReport(
        config="net.yaml",
        method="central",
        configured_eps=configured_eps,
        rtol=1e-5,
        atol=1e-8,
        steps=(1e-2, 1e-4, 1e-6),
        rows=rows,
        recommended_eps=1e-4,
    )


class _SameAtEveryStep:
    """A checker whose report does not depend on the step: every step ties with every other."""

    def __init__(self, checker: Checker) -> None:
        self.config = checker.config
        self._report = checker.run()

    def with_step(self, eps: float) -> _SameAtEveryStep:
        return self

    def run(self):
        return self._report


# --------------------------------------------------------------------------- the V


def test_default_grid_is_twelve_decades() -> None:
    assert len(DEFAULT_STEPS) == 12
    assert DEFAULT_STEPS[0] == pytest.approx(1e-1)
    assert DEFAULT_STEPS[-1] == pytest.approx(1e-12)


def test_error_against_step_is_a_v_for_a_smooth_network() -> None:
    report = sweep(_checker(square_config()))
    assert report.steps == DEFAULT_STEPS
    for row in report.rows:
        assert len(row.max_rel_errors) == len(row.max_abs_errors) == len(row.passed) == 12
        best = min(row.max_rel_errors)
        # Truncation dominates at the big end, round-off at the small end.
        assert row.max_rel_errors[0] > best, row.symbol
        assert row.max_rel_errors[-1] > best, row.symbol
        assert 1e-8 <= row.best_step <= 1e-3, row.symbol
        assert row.max_rel_errors[report.steps.index(row.best_step)] == best


def test_recommended_eps_minimises_the_worst_row() -> None:
    report = sweep(_checker(square_config()))
    worst = [max(row.max_rel_errors[i] for row in report.rows) for i in range(12)]
    assert report.recommended_eps == report.steps[worst.index(min(worst))]
    assert 1e-8 <= report.recommended_eps <= 1e-3


def test_ties_go_to_the_larger_step() -> None:
    report = sweep(_SameAtEveryStep(_checker(square_config())), steps=(1e-8, 1e-4, 1e-6))
    assert report.recommended_eps == 1e-4
    assert {row.best_step for row in report.rows} == {1e-4}


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize("config", [small_config(), square_config()], ids=["small", "square"])
def test_a_correct_network_passes_everywhere_it_is_configured(config) -> None:
    report = sweep(_checker(config))
    assert {row.verdict for row in report.rows} == {"passes"}
    assert report.passed
    assert report.summary().endswith("Every check passes at the configured eps 1e-05.")


def test_a_bad_configured_eps_is_numerical_not_a_bug() -> None:
    report = sweep(_checker(small_config(check={"eps": 1e-11})))
    verdicts = {row.verdict for row in report.rows}
    assert "numerical" in verdicts
    assert "bug" not in verdicts
    assert report.passed
    summary = report.summary()
    assert "fail at eps 1e-11 but pass at" in summary
    assert "numerical, not a bug; use --eps " in summary
    # The advised step makes every row pass.
    advised = float(summary.rsplit("--eps ", 1)[1].rstrip("."))
    i = next(i for i, step in enumerate(report.steps) if math.isclose(step, advised))
    assert all(row.passed[i] for row in report.rows)


def test_the_configured_eps_is_run_even_off_the_grid() -> None:
    # Both grid steps are far too big or too small, yet the configured 1e-6 passes.
    report = sweep(_checker(square_config()), steps=(1e-1, 1e-12))
    assert report.steps == (1e-1, 1e-12)
    assert all(not any(row.passed) for row in report.rows)
    assert {row.verdict for row in report.rows} == {"passes"}


def test_a_wrong_derivative_is_a_bug_at_every_step() -> None:
    """The seed's typo σ(z) for σ'(z) in Eq. 2: no step can make φ² agree."""
    typo = derivative_of("sigmoid", ACTIVATIONS["sigmoid"].value)
    report = sweep(Checker(load_config(small_config()), analytic=typo))
    phi2 = _row("φ²", report)
    assert phi2.verdict == "bug"
    assert not any(phi2.passed)
    assert _row("φ³", report).verdict == "passes"
    assert not report.passed
    bug_sentence = report.summary().split(". ", 1)[1]
    assert "φ²" in bug_sentence
    assert "never agree at any eps: real bugs, not a numerical problem." in bug_sentence


# --------------------------------------------------------------------------- summary sentences


def test_summary_names_a_single_bug() -> None:
    bug = _hand_row(2, "W", (0.5, 0.4, 0.6), (False, False, False), verdict="bug")
    fine = _hand_row(2, "phi", (1e-3, 1e-9, 1e-7), (False, True, True))
    assert _hand_report(fine, bug).summary() == (
        "Recommended eps: 1e-04, the bottom of the V. "
        "∇W² never agrees at any eps: a real bug, not a numerical problem."
    )


def test_summary_advises_an_eps_for_a_numerical_row() -> None:
    numerical = _hand_row(1, "phi", (1e-3, 1e-9, 1e-4), (False, True, False), verdict="numerical")
    fine = _hand_row(1, "b", (1e-3, 1e-9, 1e-7), (False, True, True))
    assert _hand_report(numerical, fine).summary() == (
        "Recommended eps: 1e-04, the bottom of the V. "
        "φ¹ fails at eps 1e-06 but passes at 1e-04: numerical, not a bug; use --eps 1e-4."
    )


def test_summary_says_when_no_single_eps_passes_every_row() -> None:
    early = _hand_row(1, "phi", (1e-6, 1e-3, 1e-3), (True, False, False), verdict="numerical")
    late = _hand_row(1, "W", (1e-3, 1e-6, 1e-3), (False, True, False), verdict="numerical")
    assert (
        _hand_report(early, late)
        .summary()
        .endswith(
            "φ¹ and ∇W¹ fail at eps 1e-06 but pass at other steps (φ¹ at 1e-02, ∇W¹ at 1e-04): "
            "numerical, not a bug; no single eps passes every row, so loosen --rtol or try "
            "--method richardson."
        )
    )


def test_option_values_are_typed_as_on_the_command_line() -> None:
    assert format_option(1e-4) == "1e-4"
    assert format_option(2.5e-3) == "2.5e-3"


# --------------------------------------------------------------------------- data and options


def test_to_dict_is_strict_json() -> None:
    odd = _hand_row(1, "phi", (math.inf, math.nan, 0.0), (False, False, True))
    document = json.loads(json.dumps(_hand_report(odd).to_dict(), allow_nan=False))
    assert document["rows"][0]["max_rel_errors"] == [None, None, 0.0]
    real = sweep(_checker(small_config()), steps=(1e-4, 1e-6)).to_dict()
    document = json.loads(json.dumps(real, allow_nan=False))
    assert document["steps"] == [1e-4, 1e-6]
    assert document["passed"] is True
    assert document["summary"].startswith("Recommended eps")
    assert [(r["layer"], r["quantity"]) for r in document["rows"][:3]] == [
        (1, "phi"),
        (1, "W"),
        (1, "b"),
    ]
    assert set(document["rows"][0]) == {
        "layer",
        "quantity",
        "equation",
        "max_rel_errors",
        "max_abs_errors",
        "passed",
        "best_step",
        "verdict",
    }


def test_a_custom_grid_and_its_progress() -> None:
    events: list[ProgressEvent] = []
    report = sweep(_checker(small_config()), steps=(1e-3, 1e-5, 1e-7), progress=events.append)
    assert report.steps == (1e-3, 1e-5, 1e-7)
    assert all(len(row.max_rel_errors) == 3 for row in report.rows)
    assert events == [ProgressEvent(label="sweep", completed=i, total=3) for i in (1, 2, 3)]


@pytest.mark.parametrize("steps", [(), (1e-3, 0.0), (1e-3, -1e-4), (math.nan,)])
def test_a_bad_grid_is_refused(steps) -> None:
    with pytest.raises(BackpropCheckError):
        sweep(_checker(small_config()), steps=steps)


def test_complex_step_is_swept_like_any_other_method() -> None:
    report = sweep(_checker(small_config(check={"method": "complex-step"})), steps=(1e-2, 1e-8))
    assert report.method == "complex-step"
    assert report.configured_eps == 1e-20
    assert report.passed


# --------------------------------------------------------------------------- the plot


def test_plot_writes_a_png(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    # Zero and inf cannot sit on a log axis; they must not stop the figure.
    odd = _hand_row(1, "phi", (1e-3, 0.0, math.inf), (False, True, False))
    for name, report in [
        ("real.png", sweep(_checker(square_config()), steps=(1e-2, 1e-5, 1e-9))),
        ("odd.png", _hand_report(odd)),
    ]:
        path = tmp_path / name
        write_sweep_plot(report, path)
        assert path.read_bytes().startswith(b"\x89PNG")


def test_plot_without_matplotlib_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(BackpropCheckError, match=r"pip install 'backprop_check\[plot\]'"):
        write_sweep_plot(_hand_report(), tmp_path / "sweep.png")
    assert not (tmp_path / "sweep.png").exists()
