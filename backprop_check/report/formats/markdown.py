"""Markdown for pull-request comments and GITHUB_STEP_SUMMARY: a summary table, then what went
wrong. Reads report data only."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...core.notation import quantity_symbol
from ..data import CheckReport, RunResult
from ..data.selftest import SelftestReport
from ..data.sweep import SweepReport, format_step
from .cause import causes
from .sentences import number

__all__ = ["selftest_markdown", "sweep_markdown", "to_markdown"]

# What starts inline markup in GitHub Markdown, escaped only where it could: an underscore at a
# word edge (GFM never emphasises inside a word) and a ']' that would close a link, so that
# `softmax_cce` and `layers[0]` stay readable in the raw file.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*<>&|~]|\](?=[(\[])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

_STATUS = {"passed": "✅ passed", "failed": "❌ failed", "invalid": "⚠️ invalid"}


def to_markdown(results: Sequence[RunResult]) -> str:
    """A pull-request comment or GITHUB_STEP_SUMMARY: a summary table, then what went wrong.

    Passing configs get one row and nothing more; failing ones a table of their checks with the
    diagnosis and hints; invalid ones their error.
    """
    passed = sum(result.status == "passed" for result in results)
    noun = "config" if len(results) == 1 else "configs"
    blocks = [f"## bpcheck: {passed} of {len(results)} {noun} passed"]
    if results:
        blocks.append(_summary_table(results))
    partial = [
        f"- {_cell(result.config)}: {_cell(result.report.coverage.statement())}"
        for result in results
        if result.report is not None and result.report.coverage is not None
    ]
    if partial:
        blocks.append("**Not every element was checked:**\n\n" + "\n".join(partial))
    blocks += [_details(result) for result in results if result.status != "passed"]
    return "\n\n".join(blocks) + "\n"


def _cell(text: str) -> str:
    """Text that stays inside one table cell and renders literally."""
    escaped = _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(), text)
    return _LINE_BREAK.sub("<br>", escaped)


def _table(header: Sequence[str], align: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub table; ``align`` is 'l' or 'r' per column. Cells must already be escaped."""
    rule = ["---:" if side == "r" else "---" for side in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def _summary_table(results: Sequence[RunResult]) -> str:
    return _table(
        ["config", "result", "loss", "method", "failed checks", "diagnosis"],
        ["l", "l", "l", "l", "r", "l"],
        [_summary_row(result) for result in results],
    )


def _summary_row(result: RunResult) -> list[str]:
    status = _STATUS[result.status]
    report = result.report
    if report is None:
        first_line = (result.error or "").strip().splitlines() or ["could not be checked"]
        return [_cell(result.config), status, "—", "—", "—", _cell(first_line[0])]
    checks = report.checked
    failed = sum(not check.passed for check in checks)
    if report.forward is not None:
        checks += (report.forward,)  # type: ignore[assignment]
        failed += not report.forward.passed
    return [
        _cell(result.config),
        status,
        _cell(report.loss),
        _cell(report.method),
        f"{failed} of {len(checks)}"
        + (f" ({len(report.skipped)} not checked)" * bool(report.skipped)),
        # A pass needs no explanation, unless rows were not checked: the count says the rest.
        _cell(report.diagnosis) if failed or report.skipped else "—",
    ]


def _details(result: RunResult) -> str:
    heading = f"### {_STATUS[result.status]}: {_cell(result.config)}"
    if result.report is None:
        return heading + "\n\n" + _fenced(result.error or "could not be checked")
    report = result.report
    blocks = [heading, _checks_table(report), f"**Diagnosis:** {_cell(report.diagnosis)}"]
    if report.forward is not None:
        forward = report.forward
        blocks.insert(
            1,
            f"**Forward:** {_cell(forward.sentence)}"
            + (f" {_cell(forward.hint)}" if forward.hint else ""),
        )
    found = causes(report)
    notes = []
    for check in report.checks:
        if check.passed:
            continue
        symbol = quantity_symbol(check.quantity, check.layer)
        source = found.source_of(check)
        # A row that only inherits an error gets no hint of its own: it would mislead.
        texts = (
            [f"follows from {source}; fix {source} first."] if source else [check.hint, check.note]
        )
        notes += [f"- **{symbol}**: {_cell(text)}" for text in texts if text]
    notes += [f"- ⚠️ {_cell(warning)}" for warning in report.warnings]
    if notes:
        blocks.append("\n".join(notes))
    return "\n\n".join(blocks)


def _checks_table(report: CheckReport) -> str:
    rows = []
    for check in report.checks:
        c = check.comparison
        rows.append(
            [
                str(check.layer),
                quantity_symbol(check.quantity, check.layer),
                check.equation_label,
                number(c.max_abs_error),
                number(c.max_rel_error),
                f"{c.failed}/{c.checked}",
                "⏭️ not checked" if check.skipped else "✅ pass" if check.passed else "❌ **FAIL**",
            ]
        )
    return _table(
        ["layer", "check", "eq.", "max abs err", "max rel err", "failed/checked", "result"],
        ["r", "l", "r", "r", "r", "r", "l"],
        rows,
    )


def _fenced(text: str) -> str:
    """A code block that keeps an error's line breaks and carets, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


_VERDICTS = {"passes": "✅ passes", "numerical": "⚠️ numerical", "bug": "❌ bug"}


def sweep_markdown(report: SweepReport) -> str:
    """A sweep: a row per check, a column per eps (growing to the right), ✓ where it passes."""
    order = sorted(range(len(report.steps)), key=lambda i: report.steps[i])
    header = ["check", *(format_step(report.steps[i]) for i in order), "best eps", "verdict"]
    rows = [
        [
            row.symbol,
            *(f"{row.max_rel_errors[i]:.0e}" + (" ✓" if row.passed[i] else "") for i in order),
            format_step(row.best_step),
            _VERDICTS.get(row.verdict, row.verdict),
        ]
        for row in report.rows
    ]
    status = "passed" if report.passed else "failed"
    blocks = [
        f"## bpcheck sweep: {_cell(report.config)} {status}",
        f"Max relative error against eps (rtol {report.rtol:g}; ✓ passes).",
        _table(header, ["l", *["r"] * len(order), "r", "l"], rows),
        _cell(report.summary()),
    ]
    return "\n\n".join(blocks) + "\n"


def selftest_markdown(report: SelftestReport) -> str:
    """The selftest: the correct build's verdict and a row per mutant."""
    caught = sum(result.caught for result in report.results)
    correct = "passes" if report.correct_passed else "FAILS"
    rows = [
        [
            _cell(result.name),
            _cell(result.explanation),
            _cell(result.row or "—"),
            f"{result.error:.1e}" if result.row else "—",
            "✅ caught" if result.caught else "❌ missed",
        ]
        for result in report.results
    ]
    blocks = [
        f"## bpcheck selftest: {caught} of {len(report.results)} mutants caught",
        f"The correct build {correct} on every network.",
        _table(
            ["mutant", "mistake", "caught by", "max rel err", "result"],
            ["l", "l", "l", "r", "l"],
            rows,
        ),
    ]
    return "\n\n".join(blocks) + "\n"
