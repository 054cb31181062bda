"""A step sweep laid out for a width: the V as a chart, the errors as a table, the summary.

eps grows to the right in the chart and the table alike, as on the ``--plot`` figure. Each row of
the report has its own marker (φ³, W³, b³: quantity and layer), so no colour is needed to tell
them apart; a table cell where the row passes carries a ✓.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...core.notation import superscript
from ..data.sweep import SweepReport, SweepRow, format_step
from .check_lines import title_lines
from .layout import Column, Line, Span, cell_width, line_of, pack, table, table_width, wrap
from .sentences import METHOD_NAMES

__all__ = ["marker", "sweep_lines"]

_LOWEST = -16  # decades below this are drawn in the bottom row: as small as float64 can tell
_PASS = "✓"


def sweep_lines(report: SweepReport, *, width: int) -> list[Line]:
    """The whole sweep report, every line at most ``width`` cells wide."""
    method = METHOD_NAMES.get(report.method, report.method)
    lines = title_lines(
        [
            f"bpcheck sweep · {report.config}",
            f"{method} · rtol {report.rtol:g} · atol {report.atol:g} · "
            f"configured eps {format_step(report.configured_eps)}",
        ],
        width,
    )
    lines += [(), *_chart(report, width), (), *_table(report, width), ()]
    return lines + wrap(report.summary(), width, indent="  ")


def marker(row: SweepRow) -> str:
    """'φ³', 'W³' or 'b³': the row's quantity and layer, in two or three cells."""
    return {"phi": "φ", "W": "W", "b": "b"}[row.quantity] + superscript(row.layer)


def _order(report: SweepReport) -> list[int]:
    """Step indices by increasing eps."""
    return sorted(range(len(report.steps)), key=lambda i: report.steps[i])


def _decade(error: float) -> int:
    """The power of ten of ``error``'s row: 0 for anything ≥ 1 or not finite."""
    if not math.isfinite(error) or error >= 1:
        return 0
    if error <= 0:
        return _LOWEST
    return max(math.floor(math.log10(error)), _LOWEST)


def _exponent(step: float) -> str:
    return str(round(math.log10(step))) if step > 0 else "?"


def _chart(report: SweepReport, width: int) -> list[Line]:
    """Max relative error (a row per decade) against eps (a column per step): the V."""
    order = _order(report)
    cells: dict[tuple[int, int], list[SweepRow]] = {}
    for row in report.rows:
        for column, i in enumerate(order):
            cells.setdefault((_decade(row.max_rel_errors[i]), column), []).append(row)
    rtol_decade = _decade(report.rtol)
    decades = [d for d, _ in cells] + [rtol_decade]
    top, bottom = min(max(decades) + 1, 0), max(min(decades) - 1, _LOWEST)
    size = max([3, *(cell_width(marker(row)) + 1 for row in report.rows)])
    lines: list[Line] = [line_of(Span("max rel err", "dim"))]
    for decade in range(top, bottom - 1, -1):
        spans = [Span(f"1e{decade:+03d} │")]
        for column in range(len(order)):
            spans.append(_chart_cell(cells.get((decade, column), []), size, decade == rtol_decade))
        lines.append(tuple(spans))
    lines.append(line_of(" " * 6 + "└" + "─" * (size * len(order))))
    axis = "".join(_exponent(report.steps[i]).rjust(size) for i in order)
    lines.append(line_of(Span("eps 10^" + axis, "dim")))
    legend = [
        "φ³ W³ b³: φ, ∇W, ∇b of layer 3",
        "×N: N rows in one cell",
        f"─── rtol {format_step(report.rtol)}",
        "eps grows to the right",
    ]
    lines += [line_of(Span(piece, "dim")) for piece in pack(legend, width, first="  ")]
    return lines


def _chart_cell(rows: Sequence[SweepRow], size: int, on_rtol: bool) -> Span:
    if not rows:
        return Span(("─" if on_rtol else " ") * size, "rule" if on_rtol else "")
    if len(rows) == 1:
        return Span(marker(rows[0]).rjust(size), f"layer{(rows[0].layer - 1) % 6}")
    return Span(f"×{len(rows)}".rjust(size), "bold")


def _full_cell(error: float, passed: bool) -> Span:
    text = f"{error:.0e}" if math.isfinite(error) else str(error)
    return Span(text + (_PASS if passed else " "), "pass" if passed else "fail")


def _power_cell(error: float, passed: bool) -> Span:
    """The power of ten of ``error``: '-5' for 1e-05 up to 1e-04."""
    if not math.isfinite(error):
        text = str(error)
    elif error <= 0:
        text = "-∞"
    else:
        text = str(math.floor(math.log10(error)))
    return Span(text + (_PASS if passed else " "), "pass" if passed else "fail")


_VERDICT_ROLES = {"passes": "verdict.passes", "numerical": "verdict.numerical"}


def _table(report: SweepReport, width: int) -> list[Line]:
    """The errors per row and step: with full numbers if they fit, else powers of ten, else a
    block per row."""
    order = _order(report)
    powers = "max relative error against eps, as powers of ten (✓: passes)"
    for title, header, cell, gap, best in (
        ("max relative error against eps (✓: passes)", format_step, _full_cell, 2, True),
        (powers, _exponent, _power_cell, 1, False),
    ):
        columns = [Column("check")] + [Column(header(report.steps[i]), "right") for i in order]
        columns += [Column("best eps", "right")] * best + [Column("verdict")]
        rows = [
            [
                row.symbol,
                *(cell(row.max_rel_errors[i], row.passed[i]) for i in order),
                *([format_step(row.best_step)] * best),
                Span(row.verdict, _VERDICT_ROLES.get(row.verdict, "verdict.bug")),
            ]
            for row in report.rows
        ]
        if table_width(columns, rows, gap=gap) <= width:
            head, body = table(columns, rows, gap=gap)
            return [*wrap(title, width), *head, *(line for row in body for line in row)]
    return _stacked(report, width)


def _stacked(report: SweepReport, width: int) -> list[Line]:
    lines = wrap("max relative error against eps (✓: passes)", width)
    for row in report.rows:
        role = _VERDICT_ROLES.get(row.verdict, "verdict.bug")
        lines.append(
            line_of(
                Span(row.symbol, "bold"),
                f" (Eq. {row.equation}) ",
                Span(row.verdict, role),
                f" · best eps {format_step(row.best_step)}",
            )
        )
        parts = [
            f"{format_step(report.steps[i])}: "
            + _full_cell(row.max_rel_errors[i], row.passed[i]).text
            for i in _order(report)
        ]
        lines += [line_of(piece) for piece in pack(parts, width, separator="  ", first="  ")]
    return lines
