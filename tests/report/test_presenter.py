"""The presenter: progress only on a terminal's stderr, and only for checks that take a while."""

from __future__ import annotations

import io

from backprop_check import check
from backprop_check.report import presenter
from backprop_check.report.data import ProgressEvent
from backprop_check.report.presenter import Presenter

from ..helpers import small_config


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

    monkeypatch.setattr(presenter.time, "monotonic", _Clock())
    with Presenter(stdout=out, stderr=err, stderr_is_terminal=True).progress() as update:
        for event in _events():
            update(event)
    assert "∇W¹ · Eq. 3" in err.getvalue()
    assert "elements/s" in err.getvalue()
    assert out.getvalue() == ""


def test_json_goes_to_stdout_alone(monkeypatch) -> None:
    monkeypatch.setattr(presenter, "_PROGRESS_DELAY", 0.0)
    out, err = io.StringIO(), io.StringIO()
    shown = Presenter(stdout=out, stderr=err, stderr_is_terminal=True)
    with shown.progress() as update:
        report = check(small_config(), progress=update)
    shown.json(report)
    assert out.getvalue().startswith("{")
    assert out.getvalue().rstrip().endswith("}")
    assert "∇W¹ · Eq. 3" in err.getvalue()


def test_heatmap_colours_a_bad_row_red_and_the_rest_green() -> None:
    import numpy as np

    errors = np.full((4, 6), 1e-9)
    errors[2] = 0.5
    errors[0, 0] = np.nan
    text = presenter._heatmap(errors, rtol=1e-5)
    rows = text.plain.splitlines()
    assert rows[2] == "   2 " + "██" * 6
    styles = {(span.start, span.end): span.style for span in text.spans}
    row_start = len("\n".join(rows[:2])) + 1 + 5
    assert styles[(row_start, row_start + 2)] == "red"
    assert styles[(5, 7)] == "grey37"  # not judged (a kink)
    assert styles[(7, 9)] == "green"


def test_large_tensors_are_pooled_to_their_worst_blocks() -> None:
    import numpy as np

    errors = np.zeros((256, 784))
    errors[100, 500] = 1.0
    pooled = presenter._pooled(errors)
    assert pooled.shape == (32, 64)
    assert pooled.max() == 1.0
    assert np.count_nonzero(pooled) == 1
