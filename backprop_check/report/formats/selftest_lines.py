"""The selftest laid out for a width: the correct build's verdict, then which row caught each
wrong backpropagation; where the mistake column cannot fit, each mistake on lines of its own."""

from __future__ import annotations

from ..data.selftest import MutantResult, SelftestReport
from .layout import Column, Line, Span, line_of, table, table_width, wrap

__all__ = ["selftest_lines"]

# The mistake column is wrapped at words; narrower than this, it goes under its row instead.
_MIN_MISTAKE = 30


def selftest_lines(report: SelftestReport, *, width: int) -> list[Line]:
    """The whole selftest report, every line at most ``width`` cells wide."""
    verdict = Span("passes", "pass") if report.correct_passed else Span("FAILS", "fail")
    lines: list[Line] = [
        line_of(
            Span("bpcheck", "bold"), " selftest · the correct build ", verdict, " on every network"
        )
    ]
    lines = _fitted(lines, width)
    for failure in report.correct_failures:
        lines += wrap(failure, width, first="  ", indent="    ", role="fail")
    lines += [
        (),
        *wrap("wrong backpropagations and whether the check caught them", width, role="title"),
    ]
    lines += _table(report.results, width)
    for result in report.results:
        if result.why_not:
            lines += wrap(
                f"{result.name}: not catchable on the usual networks: {result.why_not}.",
                width,
                indent="  ",
            )
    caught = sum(result.caught for result in report.results)
    status = Span("PASSED", "pass") if report.passed else Span("FAILED", "fail")
    return [*lines, (), line_of(status, f": {caught} of {len(report.results)} mutants caught.")]


def _fitted(lines: list[Line], width: int) -> list[Line]:
    """Lines rewrapped where wider than ``width`` (styles kept only where they fit)."""
    fitted: list[Line] = []
    for line in lines:
        text = "".join(span.text for span in line)
        fitted += [line] if len(text) <= width else wrap(text, width, indent="  ")
    return fitted


def _cells(result: MutantResult) -> dict[str, str | Span]:
    return {
        "mutant": result.name,
        "from": result.origin,
        "mistake": result.explanation,
        "caught by": result.row or "—",
        "max rel err": f"{result.error:.1e}" if result.row else "—",
        "result": Span("caught", "pass") if result.caught else Span("MISSED", "fail"),
    }


_LAYOUTS: tuple[tuple[str, ...], ...] = (
    ("mutant", "from", "mistake", "caught by", "max rel err", "result"),
    ("mutant", "caught by", "max rel err", "result"),
    ("mutant", "caught by", "result"),
    ("mutant", "result"),
)


def _table(results: tuple[MutantResult, ...], width: int) -> list[Line]:
    for keys in _LAYOUTS:
        columns = [Column(key, "right" if key == "max rel err" else "left") for key in keys]
        rows = [[_cells(result)[key] for key in keys] for result in results]
        if "mistake" in keys:
            others = [k for k in keys if k != "mistake"]
            fixed = table_width(
                [Column(k) for k in others], [[_cells(r)[k] for k in others] for r in results]
            )
            if fixed + 2 + _MIN_MISTAKE > width:
                continue
            head, body = table(columns, rows, flex=keys.index("mistake"), width=width)
            return [*head, *(line for row in body for line in row)]
        if table_width(columns, rows) > width:
            continue
        head, body = table(columns, rows)
        lines = list(head)
        for result, row in zip(results, body, strict=True):
            lines += row
            lines += wrap(
                f"{result.explanation} ({result.origin})",
                width,
                first="    ",
                indent="    ",
                role="dim",
            )
        return lines
    return [
        line
        for result in results
        for line in wrap(f"{result.name}: {result.explanation}", width, indent="  ")
    ]
