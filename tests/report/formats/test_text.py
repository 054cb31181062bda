"""Plain text: the terminal's layout without colour, for assertion messages, pytest and files."""

from __future__ import annotations

import io

import pytest

from backprop_check import ConfigError, assert_gradients_match
from backprop_check.report.data import CheckReport
from backprop_check.report.formats import plain_text
from backprop_check.report.presenter import Presenter

from ...helpers import broken_sigmoid, small_config, table_rows
from .samples import EQ2_DIAGNOSIS, SAMPLED_COVERAGE, row


def test_assert_gradients_match(monkeypatch) -> None:
    report = assert_gradients_match(small_config(), eps=1e-5)
    assert report.passed
    broken_sigmoid(monkeypatch)
    with pytest.raises(AssertionError) as caught:
        assert_gradients_match(small_config())
    message = str(caught.value)
    assert "Layer 2 of 3 · 5 units · sigmoid · hidden" in message
    assert EQ2_DIAGNOSIS in message
    assert "\x1b[" not in message  # plain text, no colour codes
    with pytest.raises(ConfigError):
        assert_gradients_match(small_config(loss="hinge"))


@pytest.mark.parametrize("width", [60, 80, 160])
def test_plain_text_is_the_terminal_report_without_colour(
    failing: CheckReport, width: int, monkeypatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))  # what a terminal of that width reports
    terminal = io.StringIO()
    Presenter(stdout=terminal, stderr=io.StringIO()).table(failing)
    assert plain_text(failing, width=width) == terminal.getvalue()
    assert not any(character in terminal.getvalue() for character in "│┃━\x1b…")


def test_a_failing_report_opens_with_its_cause(failing: CheckReport) -> None:
    lines = plain_text(failing).splitlines()
    header_end = lines.index("")
    assert lines[header_end + 1] == "Cause: φ², Eq. 2 at layer 2"
    assert lines[header_end + 2].strip().startswith(EQ2_DIAGNOSIS)
    # Every table comes after the cause, from the output layer down.
    titles = [i for i, line in enumerate(lines) if line.startswith("Layer ")]
    assert titles[0] > header_end + 2
    assert [lines[i].split(" · ")[0] for i in titles] == [
        "Layer 3 of 3",
        "Layer 2 of 3",
        "Layer 1 of 3",
    ]
    assert lines[-1] == "FAILED: 6 of 9 checks failed."


def test_rows_that_inherit_the_error_are_marked_and_give_no_hint(failing: CheckReport) -> None:
    text = plain_text(failing)
    rows = {cells[0]: cells for cells in table_rows(text)}
    assert rows["φ²"][-1] == "FAIL 25/25"  # the cause itself
    for symbol in ("∇W²", "∇b²", "φ¹", "∇W¹", "∇b¹"):
        assert rows[symbol][-1].endswith("← φ²"), rows[symbol]
        assert f"{symbol}: follows from φ²; fix φ² first." in text
    assert rows["φ³"][-1] == "pass"
    # The cause's hint is shown once, at the top; the hints the inheriting rows carry in the data
    # are not shown at all.
    cause_hint = row(failing, 2, "phi").hint
    assert cause_hint
    flat = " ".join(text.split())
    assert flat.count(cause_hint) == 1
    assert flat.index(cause_hint) < flat.index("Layer 3 of 3")
    for quantity, layer in (("phi", 1), ("W", 2), ("b", 1)):
        hint = row(failing, layer, quantity).hint
        assert hint
        assert hint not in " ".join(text.split())
    assert (
        "∇W², ∇b², φ¹, ∇W¹, ∇b¹ only inherit the error of φ²: their own hints are left out." in text
    )


def test_plain_text_of_a_pass_is_compact_and_ends_with_the_verdict(passing: CheckReport) -> None:
    text = plain_text(passing)
    assert text.endswith("PASSED: 9 of 9 checks.\n")
    assert "FAIL" not in text
    assert "Cause" not in text
    # Header (with what the settings resolve), three tables (a blank line, title, header, rule and
    # three rows), the diagnosis and the verdict: nothing more, and fewer lines than the boxed
    # tables took (29).
    assert "resolves errors above" in text.splitlines()[3]
    assert len(text.splitlines()) == 4 + 3 * 7 + 3


def test_a_sampled_check_says_in_its_verdict_how_little_it_saw(sampled: CheckReport) -> None:
    assert plain_text(sampled).splitlines()[-1] == (f"PASSED: 9 of 9 checks; {SAMPLED_COVERAGE}.")


def test_the_full_layout_has_every_column_and_narrow_ones_move_the_worst_element_under_its_row(
    failing: CheckReport,
) -> None:
    wide = plain_text(failing, width=160)
    assert "worst element: analytic / numeric" in wide
    assert "‖a−n‖/(‖a‖+‖n‖)" in wide
    c = row(failing, 2, "phi").comparison
    narrow = plain_text(failing, width=80).splitlines()
    at = next(i for i, line in enumerate(narrow) if line.startswith("φ² "))
    assert narrow[at + 1].strip() == (
        f"worst {list(c.worst_index)}: analytic {c.worst_analytic:+.6e}, numeric "
        f"{c.worst_numeric:+.6e}"
    )
    assert "worst element" not in "\n".join(narrow)
