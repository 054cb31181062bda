"""A run over several configs in a few lines: one per config, then the totals, last."""

from __future__ import annotations

from collections.abc import Sequence

from ..data import RunResult
from .cause import causes, row_symbol
from .layout import Line, Span, wrap
from .sentences import first_failure_words

__all__ = ["STATUS_MARKS", "summary_lines", "totals_line"]

# How each status reads: a mark and a word, so that neither colour nor the mark is needed alone.
STATUS_MARKS = {"passed": "✓ passed", "failed": "✗ FAILED", "invalid": "! invalid"}
_WIDEST = max(len(mark) for mark in STATUS_MARKS.values())


def summary_lines(results: Sequence[RunResult], *, width: int) -> list[Line]:
    """One line per config (wrapped at words when long), then the totals."""
    lines: list[Line] = []
    for result in results:
        mark = STATUS_MARKS[result.status]
        text = f"{mark.ljust(_WIDEST)}  {result.config}{_what(result)}"
        first, *rest = wrap(text, width, indent=" " * (_WIDEST + 4))
        body = "".join(span.text for span in first)[len(mark) :]
        lines += [(Span(mark, result.status), Span(body)), *rest]
    return [*lines, *totals_line(results, width=width)]


def _what(result: RunResult) -> str:
    report = result.report
    if report is None:
        first_line = (result.error or "could not be checked").strip().splitlines()
        return f": {first_line[0] if first_line else 'could not be checked'}"
    checks = report.checked
    failed = sum(not check.passed for check in checks)
    total = len(checks) + (report.forward is not None)
    failed += report.forward is not None and not report.forward.passed
    coverage = "" if report.coverage is None else f"; {report.coverage.statement()}"
    unchecked = f", {len(report.skipped)} not checked" if report.skipped else ""
    if not failed:
        return f" ({total} checks{unchecked}{coverage})"
    named = first_failure_words(report, at=", layer ")
    cause = causes(report).cause
    if named is not None:
        where = f"{named[0]} ({named[1]}) first"
    elif cause is not None:
        where = f"{row_symbol(cause)} (Eq. {cause.equation}, layer {cause.layer}) first"
    else:
        where = "see its table"
    return f": {failed} of {total} checks fail{unchecked}, {where}{coverage}"


def totals_line(results: Sequence[RunResult], *, width: int) -> list[Line]:
    """'7 of 8 configs passed, 1 failed.' (an invalid config counted apart)."""
    counts = {status: sum(r.status == status for r in results) for status in STATUS_MARKS}
    noun = "config" if len(results) == 1 else "configs"
    text = f"{counts['passed']} of {len(results)} {noun} passed"
    extra = [f"{counts[s]} {s}" for s in ("failed", "invalid") if counts[s]]
    text += (", " + ", ".join(extra) if extra else "") + "."
    role = "passed" if counts["passed"] == len(results) else "failed"
    return [
        tuple(Span(span.text, role) for span in line) for line in wrap(text, width, indent="  ")
    ]
