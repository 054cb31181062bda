"""Inline SVG for the HTML report: an element-error heatmap and the sweep's V. Plain strings, no
scripts, no fonts or images fetched: the page must render offline and self-contained."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

from ..data.sweep import SweepReport, format_step
from .heat import NOT_JUDGED, level_of, pooled

__all__ = ["heatmap_svg", "sweep_svg"]

# A heatmap is drawn with at most this many blocks a side and this many pixels across.
_MAX_ROWS, _MAX_COLUMNS, _MAX_PIXELS = 48, 64, 640
_LINE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
_DASHES = {"phi": "", "W": "6 3", "b": "2 3"}
_FLOOR = -17  # log10 of what an exact zero is drawn at, below any float64 difference


def heatmap_svg(
    errors: np.ndarray,
    rtol: float,
    *,
    worst_index: tuple[int, ...] = (),
    kink_indices: Sequence[tuple[int, ...]] = (),
    label: str = "",
) -> str:
    """A grid of coloured cells, one per element (or block of elements, each its worst), the
    worst element's cell outlined and marked, kinks dotted; every cell has a tooltip."""
    grid = pooled(errors, _MAX_ROWS, _MAX_COLUMNS)
    rows, columns = grid.values.shape
    cell = max(4, min(18, _MAX_PIXELS // max(columns, 1)))
    width, height = columns * cell, rows * cell
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" width="{width + 2}" '
        f'height="{height + 2}" viewBox="-1 -1 {width + 2} {height + 2}" role="img" '
        f'aria-label="{escape(label)}">'
    ]
    for i in range(rows):
        for k in range(columns):
            error = float(grid.values[i, k])
            level = level_of(error, rtol)
            tip = "not judged" if level is NOT_JUDGED else f"{error:.2e}"
            where = _block_name(grid.row_edges, grid.column_edges, i, k)
            parts.append(
                f'<rect x="{k * cell}" y="{i * cell}" width="{cell}" height="{cell}" '
                f'fill="{level.colour}" stroke="#ffffff" stroke-width="0.5">'
                f"<title>{escape(where)}: {tip}</title></rect>"
            )
    for index in kink_indices:
        i, k = grid.block_of(index)
        parts.append(
            f'<circle cx="{(k + 0.5) * cell}" cy="{(i + 0.5) * cell}" r="{max(cell / 6, 1):.1f}" '
            'fill="#333333"><title>kink</title></circle>'
        )
    if worst_index:
        i, k = grid.block_of(worst_index)
        # Black outside, white inside: visible on the palest and the darkest cell alike.
        parts.append(
            f'<rect class="worst" x="{k * cell}" y="{i * cell}" width="{cell}" height="{cell}" '
            'fill="none" stroke="#000000" stroke-width="3">'
            f"<title>worst element {list(worst_index)}</title></rect>"
            f'<rect x="{k * cell + 1.5}" y="{i * cell + 1.5}" width="{max(cell - 3, 1)}" '
            f'height="{max(cell - 3, 1)}" fill="none" stroke="#ffffff" stroke-width="1"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _block_name(row_edges: np.ndarray, column_edges: np.ndarray, i: int, k: int) -> str:
    def span(edges: np.ndarray, n: int) -> str:
        low, high = int(edges[n]), int(edges[n + 1]) - 1
        return str(low) if low == high else f"{low}–{high}"

    return f"[{span(row_edges, i)}, {span(column_edges, k)}]"


def sweep_svg(report: SweepReport) -> str:
    """The V: max relative error against eps on log-log axes, eps growing to the right, one line
    per row (colour per layer, dash per quantity), rtol and the recommended and configured eps."""
    width, height, left, right, top, bottom = 720, 420, 64, 180, 16, 48
    xs = [math.log10(step) for step in report.steps]
    values = [_log_error(e) for row in report.rows for e in row.max_rel_errors]
    x_low, x_high = math.floor(min(xs)), math.ceil(max(xs))
    y_low = math.floor(min([*values, math.log10(report.rtol)]))
    y_high = max(math.ceil(max([*values, math.log10(report.rtol)])), y_low + 1)
    if x_high == x_low:
        x_low, x_high = x_low - 1, x_high + 1

    def px(x: float) -> float:
        return left + (x - x_low) / (x_high - x_low) * (width - left - right)

    def py(y: float) -> float:
        return top + (y_high - y) / (y_high - y_low) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sweep" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="error against eps">',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" '
        f'height="{height - top - bottom}" fill="#ffffff" stroke="#999999"/>',
    ]
    parts += _axes(x_low, x_high, y_low, y_high, px, py, height - bottom)
    parts += _reference_lines(report, px, py, top, height - bottom, left, width - right)
    for n, row in enumerate(report.rows):
        colour = _LINE_COLOURS[(row.layer - 1) % len(_LINE_COLOURS)]
        points = [
            (px(x), py(_log_error(e))) for x, e in sorted(zip(xs, row.max_rel_errors, strict=True))
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.6" '
            f'stroke-dasharray="{_DASHES.get(row.quantity, "")}"/>'
        )
        parts += [_marker(row.quantity, x, y, colour) for x, y in points]
        y = top + 14 + 16 * n
        parts.append(
            f'<line x1="{width - right + 12}" y1="{y}" x2="{width - right + 40}" y2="{y}" '
            f'stroke="{colour}" stroke-width="1.6" '
            f'stroke-dasharray="{_DASHES.get(row.quantity, "")}"/>'
            + _marker(row.quantity, width - right + 26, y, colour)
            + f'<text x="{width - right + 46}" y="{y + 4}" font-size="12">'
            f"{escape(row.symbol)} (Eq. {row.equation})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _log_error(error: float) -> float:
    if math.isnan(error):
        return 0.0  # drawn at the top: an error that cannot be measured is no pass
    if error <= 0:
        return _FLOOR
    return max(math.log10(error), _FLOOR) if math.isfinite(error) else 2.0


def _axes(x_low, x_high, y_low, y_high, px, py, baseline) -> list[str]:
    parts = []
    for x in range(x_low, x_high + 1):
        parts.append(
            f'<line x1="{px(x):.1f}" y1="{baseline}" x2="{px(x):.1f}" y2="{baseline + 4}" '
            f'stroke="#333333"/><text x="{px(x):.1f}" y="{baseline + 16}" font-size="11" '
            f'text-anchor="middle">1e{x}</text>'
        )
    step = max(1, (y_high - y_low) // 8)
    for y in range(y_low, y_high + 1, step):
        parts.append(
            f'<line x1="{px(x_low):.1f}" y1="{py(y):.1f}" x2="{px(x_high):.1f}" y2="{py(y):.1f}" '
            f'stroke="#eeeeee"/><text x="{px(x_low) - 6:.1f}" y="{py(y) + 4:.1f}" '
            f'font-size="11" text-anchor="end">1e{y}</text>'
        )
    parts.append(
        f'<text x="{(px(x_low) + px(x_high)) / 2:.1f}" y="{baseline + 34}" font-size="12" '
        'text-anchor="middle">step eps (growing to the right)</text>'
    )
    return parts


def _reference_lines(report, px, py, top, baseline, x_from, x_to) -> list[str]:
    rtol_y = py(math.log10(report.rtol))
    parts = [
        f'<line x1="{x_from}" y1="{rtol_y:.1f}" x2="{x_to}" y2="{rtol_y:.1f}" stroke="#000000" '
        f'stroke-dasharray="5 4"/><text x="{x_from + 4}" y="{rtol_y - 4:.1f}" font-size="11">'
        f"rtol {format_step(report.rtol)}</text>"
    ]
    for eps, name, colour in (
        (report.recommended_eps, "recommended", "#2ca02c"),
        (report.configured_eps, "configured", "#d62728"),
    ):
        x = px(math.log10(eps))
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{baseline}" stroke="{colour}" '
            f'stroke-dasharray="2 3"><title>{name} eps {format_step(eps)}</title></line>'
            # Inside the plot: to the line's left when it is in the right half.
            f'<text x="{x - 3 if x > (x_from + x_to) / 2 else x + 3:.1f}" '
            f'y="{top + 12 if name == "recommended" else top + 26}" font-size="11" '
            f'text-anchor="{"end" if x > (x_from + x_to) / 2 else "start"}" fill="{colour}">'
            f"{name} {format_step(eps)}</text>"
        )
    return parts


def _marker(quantity: str, x: float, y: float, colour: str) -> str:
    """A circle for φ, a square for ∇W, a triangle for ∇b: told apart without colour."""
    if quantity == "W":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{colour}"/>'
    if quantity == "b":
        corners = f"{x:.1f},{y - 4:.1f} {x - 4:.1f},{y + 3:.1f} {x + 4:.1f},{y + 3:.1f}"
        return f'<polygon points="{corners}" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{colour}"/>'
