"""Markdown for pull requests and step summaries: tables GitHub renders literally, counted right."""

from __future__ import annotations

import dataclasses
import re

from markdown_it import MarkdownIt

from backprop_check.report.data import RunResult
from backprop_check.report.formats import to_markdown

from .samples import (
    BAD_PATH,
    EQ2_DIAGNOSIS,
    INVALID_ERROR,
    INVALID_PATH,
    OK_PATH,
    SAMPLED_COVERAGE,
    row,
)


def _cells(line: str) -> list[str]:
    """A table row's cells, split at the pipes that are not escaped."""
    assert line.startswith("| "), line
    assert line.endswith(" |"), line
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line[1:-1])]


def _table_after(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(_cells(line))
    return rows


SUMMARY_HEADER = "| config | result | loss | method | failed checks | diagnosis |"
DETAILS_HEADER = "| layer | check | eq. | max abs err | max rel err | failed/checked | result |"


def test_markdown_heading_and_summary_table(results) -> None:
    text = to_markdown(results)
    assert text.splitlines()[0] == "## bpcheck: 1 of 3 configs passed"
    assert text.splitlines()[3] == "| --- | --- | --- | --- | ---: | --- |"
    ok, bad, invalid = _table_after(text, SUMMARY_HEADER)
    assert ok == [OK_PATH, "✅ passed", "categorical_crossentropy", "central", "0 of 9", "—"]
    assert bad[:5] == [BAD_PATH, "❌ failed", "categorical_crossentropy", "central", "6 of 9"]
    assert bad[5].startswith(EQ2_DIAGNOSIS)
    assert invalid == [INVALID_PATH, "⚠️ invalid", "—", "—", "—", INVALID_ERROR]


def test_markdown_details_of_a_failing_config(results, failing) -> None:
    text = to_markdown(results)
    assert f"### ❌ failed: {BAD_PATH}" in text
    rows = _table_after(text.split(f"### ❌ failed: {BAD_PATH}")[1], DETAILS_HEADER)
    assert len(rows) == 9
    c = row(failing, 2, "phi").comparison
    assert rows[3] == [
        "2",
        "φ²",
        "2",
        f"{c.max_abs_error:.2e}",
        f"{c.max_rel_error:.2e}",
        "25/25",
        "❌ **FAIL**",
    ]
    assert rows[6][0:3] == ["3", "φ³", "1"]
    assert rows[6][5:] == ["0/15", "✅ pass"]
    assert f"**Diagnosis:** {failing.diagnosis}" in text
    # The cause keeps its hint; a row that only inherits its error gets none, which would mislead.
    assert f"- **φ²**: {row(failing, 2, 'phi').hint}" in text
    assert "- **φ¹**: follows from φ²; fix φ² first." in text
    assert row(failing, 1, "phi").hint.replace(">", chr(92) + ">") not in text


def test_markdown_keeps_passing_configs_compact(results) -> None:
    text = to_markdown(results)
    assert text.count(OK_PATH) == 1
    assert text.count(DETAILS_HEADER) == 1
    assert to_markdown([results[0]]) == (
        "## bpcheck: 1 of 1 config passed\n\n"
        f"{SUMMARY_HEADER}\n"
        "| --- | --- | --- | --- | ---: | --- |\n"
        f"| {OK_PATH} | ✅ passed | categorical_crossentropy | central | 0 of 9 | — |\n"
    )


def test_markdown_shows_an_invalid_configs_whole_error() -> None:
    error = "line 3: bad expression\n    1 +* x\n      ^\nuse ``` sparingly"
    text = to_markdown([RunResult("bad.yaml", error=error)])
    assert text.startswith("## bpcheck: 0 of 1 config passed\n")
    assert _table_after(text, SUMMARY_HEADER)[0][5] == "line 3: bad expression"
    assert f"### ⚠️ invalid: bad.yaml\n\n````text\n{error}\n````" in text


def test_markdown_escapes_pipes_newlines_and_markup(passing) -> None:
    path = "dir|x/<b>net</b>*_v2_*[a](http://e.org).yaml"
    error = "one | two\nthree"
    text = to_markdown([RunResult(path, report=passing), RunResult("e.yaml", error=error)])
    ok, invalid = _table_after(text, SUMMARY_HEADER)
    assert len(ok) == len(invalid) == 6
    assert ok[0] == r"dir\|x/\<b\>net\</b\>\*\_v2\_\*[a\](http://e.org).yaml"
    assert invalid[5] == r"one \| two"
    # Rendered as GitHub would: one cell each, literal text, no tags or emphasis.
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<td>dir|x/&lt;b&gt;net&lt;/b&gt;*_v2_*[a](http://e.org).yaml</td>" in html
    for markup in ("<b>", "<em>", "<a "):
        assert markup not in html


def test_markdown_newlines_inside_a_cell_become_line_breaks(failing) -> None:
    report = dataclasses.replace(failing, diagnosis="first line\nsecond | line")
    (row,) = _table_after(to_markdown([RunResult("x.yaml", report=report)]), SUMMARY_HEADER)
    assert row[5] == r"first line<br>second \| line"


def test_markdown_says_which_configs_were_only_sampled(passing, sampled) -> None:
    text = to_markdown([RunResult(OK_PATH, report=passing), RunResult(BAD_PATH, report=sampled)])
    assert f"- {BAD_PATH}: {SAMPLED_COVERAGE}" in text.splitlines()
    assert text.count("checked 18 of 153") == 1
    assert to_markdown([RunResult(OK_PATH, report=passing)]).count("elements") == 0
