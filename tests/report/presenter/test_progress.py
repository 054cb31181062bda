"""Progress: only on a terminal's stderr, and only for checks that take a while."""

from __future__ import annotations

import io

from backprop_check import check
from backprop_check.report.data import ProgressEvent
from backprop_check.report.presenter import Presenter, progress

from ...helpers import small_config


def _events() -> list[ProgressEvent]:
    return [ProgressEvent("∇W¹ · Eq. 3", done, 100) for done in (0, 25, 50, 75, 100)]


class _Clock:
    """A monotonic clock that advances half a second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.5
        return self.now


def test_no_progress_when_stderr_is_not_a_terminal() -> None:
    err = io.StringIO()
    with Presenter(stdout=io.StringIO(), stderr=err, stderr_is_terminal=False).progress() as update:
        assert update is None
    assert err.getvalue() == ""


def test_progress_draws_on_stderr_only_after_the_delay(monkeypatch) -> None:
    out, err = io.StringIO(), io.StringIO()
    with Presenter(stdout=out, stderr=err, stderr_is_terminal=True).progress() as update:
        assert update is not None
        for event in _events():
            update(event)
    assert err.getvalue() == ""  # the whole thing took less than a second: nothing drawn

    monkeypatch.setattr(progress.time, "monotonic", _Clock())
    with Presenter(stdout=out, stderr=err, stderr_is_terminal=True).progress() as update:
        for event in _events():
            update(event)
    assert "∇W¹ · Eq. 3" in err.getvalue()
    assert "elements/s" in err.getvalue()
    assert out.getvalue() == ""


def test_json_goes_to_stdout_alone(monkeypatch) -> None:
    monkeypatch.setattr(progress, "PROGRESS_DELAY", 0.0)
    out, err = io.StringIO(), io.StringIO()
    shown = Presenter(stdout=out, stderr=err, stderr_is_terminal=True)
    with shown.progress() as update:
        report = check(small_config(), progress=update)
    shown.json(report)
    assert out.getvalue().startswith("{")
    assert out.getvalue().rstrip().endswith("}")
    assert "∇W¹ · Eq. 3" in err.getvalue()
