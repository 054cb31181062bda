"""Plain text: the report without rich, for assertion messages, pytest and files."""

from __future__ import annotations

import io
import re

import pytest

from backprop_check import ConfigError, assert_gradients_match
from backprop_check.report.data import CheckReport
from backprop_check.report.formats import plain_text
from backprop_check.report.formats.text import COLUMNS
from backprop_check.report.presenter import Presenter

from ...helpers import broken_sigmoid, small_config
from .samples import EQ2_DIAGNOSIS, SAMPLED_COVERAGE, row


def test_assert_gradients_match(monkeypatch) -> None:
    report = assert_gradients_match(small_config(), eps=1e-5)
    assert report.passed
    broken_sigmoid(monkeypatch)
    with pytest.raises(AssertionError) as caught:
        assert_gradients_match(small_config())
    message = str(caught.value)
    assert "Layer 2 of 3 · 5 units · sigmoid · hidden" in message
    assert "φ³ passes but φ² fails: the error is in Eq. 2 between layers 3 and 2" in message
    assert "\x1b[" not in message  # plain text, no colour codes
    with pytest.raises(ConfigError):
        assert_gradients_match(small_config(loss="hinge"))


def test_plain_text_is_the_terminal_report_without_the_boxes(failing: CheckReport) -> None:
    terminal = io.StringIO()
    Presenter(stdout=terminal, stderr=io.StringIO()).table(failing)
    shown = terminal.getvalue()
    text = plain_text(failing)
    # The same header, diagnosis and verdict, word for word.
    assert text.splitlines()[:3] == shown.splitlines()[:3]
    assert text.splitlines()[-2:] == shown.splitlines()[-2:]
    assert text.splitlines()[-2].startswith(EQ2_DIAGNOSIS)
    # Every row of every table, with the same cells in the same order.
    shown_rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in shown.splitlines()
        if line.startswith("│") and not line.startswith("│ check")
    ]
    text_rows = [
        line.split()
        for line in text.splitlines()
        # A row: a symbol, then its equation's number (notes and diagnosis say more).
        if line[:1] in ("φ", "∇") and line.split()[1].isdigit() and ":" not in line.split()[0]
    ]
    assert [cells[0] for cells in text_rows] == [cells[0] for cells in shown_rows]
    assert [" ".join(cells) for cells in text_rows] == [
        " ".join(" ".join(cells).split()) for cells in shown_rows
    ]
    assert len(text_rows) == len(failing.checks) == 9
    assert not any(character in text for character in "│┃━─\x1b")


def test_plain_text_aligns_columns_and_lists_the_failing_rows_hints(failing: CheckReport) -> None:
    lines = plain_text(failing).splitlines()
    title = lines.index("Layer 2 of 3 · 5 units · sigmoid · hidden")
    header, rule, *rows = lines[title + 1 : title + 6]
    assert header.split()[0] == "check"
    # The rule marks each column's span; every cell sits inside its span, numbers flush right.
    spans = [match.span() for match in re.finditer("-+", rule)]
    assert len(spans) == len(COLUMNS)
    for line in rows:
        cells = [line[start:end].strip() for start, end in spans]
        assert all(cells), line
        for (start, end), (_, side) in zip(spans, COLUMNS, strict=True):
            edge = line[end - 1] if side == "right" else line[start]
            assert edge != " ", (line, start, end)
    assert [line.split()[0] for line in rows] == ["φ²", "∇W²", "∇b²"]
    assert "FAIL" in rows[0]
    assert f"φ²: {row(failing, 2, 'phi').hint}" in lines


def test_plain_text_of_a_pass_ends_with_the_verdict(passing: CheckReport) -> None:
    text = plain_text(passing)
    assert text.endswith("PASSED: 9 of 9 checks.\n")
    assert "FAIL" not in text


def test_a_sampled_check_says_in_its_verdict_how_little_it_saw(sampled: CheckReport) -> None:
    assert plain_text(sampled).splitlines()[-1] == (f"PASSED: 9 of 9 checks; {SAMPLED_COVERAGE}.")
