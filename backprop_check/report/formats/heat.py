"""Element errors as levels of heat: one table of what each level means, shared by the terminal's
glyph grid and the HTML report's SVG heatmaps, and the pooling that fits a big tensor in a grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.notation import quantity_symbol
from ..data import CheckReport
from ..data.sweep import format_step
from .layout import Line, Span, cell_width, wrap

__all__ = [
    "LEVELS",
    "NOT_JUDGED",
    "Grid",
    "HeatLevel",
    "bounds",
    "heatmap_lines",
    "legend",
    "level_of",
    "levels_of",
    "pooled",
]


@dataclass(frozen=True)
class HeatLevel:
    """One level: its glyph (darker is worse), its role for the terminal, its colour for HTML."""

    glyph: str
    role: str
    colour: str
    meaning: str


# Ordered from harmless to worst; the bounds between them are :func:`bounds`.
LEVELS: tuple[HeatLevel, ...] = (
    HeatLevel("░", "heat.pass", "#cfe8c8", "passes"),
    HeatLevel("▒", "heat.near", "#f6d55c", "fails by less than 10×"),
    HeatLevel("▓", "heat.far", "#f0883e", "fails"),
    HeatLevel("█", "heat.worst", "#c62828", "fails badly"),
)
NOT_JUDGED = HeatLevel("·", "heat.none", "#e4e4e4", "not judged")


def bounds(rtol: float) -> tuple[float, float, float]:
    """Upper bounds of the first three levels: rtol, 10·rtol and 1 % (or 100·rtol, if larger)."""
    return rtol, 10 * rtol, max(1e-2, 100 * rtol)


def level_of(error: float, rtol: float) -> HeatLevel:
    """The level of one relative error; NaN (an element not judged, such as a kink) has its own."""
    if np.isnan(error):
        return NOT_JUDGED
    for level, bound in zip(LEVELS, bounds(rtol), strict=False):
        if error <= bound:
            return level
    return LEVELS[-1]


def levels_of(errors: np.ndarray, rtol: float) -> np.ndarray:
    """Index into ``LEVELS`` per element, -1 where not judged."""
    index = np.searchsorted(np.array(bounds(rtol)), np.nan_to_num(errors, nan=0.0), side="left")
    return np.where(np.isnan(errors), -1, index)


def legend(rtol: float) -> list[tuple[HeatLevel, str]]:
    """Each level with its range in numbers: '≤ 1e-05 (rtol)', '≤ 1e-04', '≤ 1e-02', '> 1e-02'."""
    low, middle, high = (format_step(bound) for bound in bounds(rtol))
    ranges = (f"≤ {low} (rtol)", f"≤ {middle}", f"≤ {high}", f"> {high}")
    return [*zip(LEVELS, ranges, strict=True), (NOT_JUDGED, "not judged")]


@dataclass(frozen=True)
class Grid:
    """A matrix of element errors pooled into blocks, each block its worst error (NaN only where
    no element of the block was judged)."""

    values: np.ndarray
    row_edges: np.ndarray
    column_edges: np.ndarray

    def block_of(self, index: tuple[int, ...]) -> tuple[int, int]:
        """The block holding the element at ``index`` (of the tensor as a 1-D or 2-D array)."""
        i, k = (0, index[0]) if len(index) == 1 else (index[0], index[1])
        return (
            int(np.searchsorted(self.row_edges, i, side="right") - 1),
            int(np.searchsorted(self.column_edges, k, side="right") - 1),
        )


def pooled(errors: np.ndarray, rows: int, columns: int) -> Grid:
    """``errors`` as a matrix (a vector is one row) of at most ``rows`` × ``columns`` blocks."""
    matrix = np.atleast_2d(errors)
    n_rows, n_columns = matrix.shape
    row_edges = np.linspace(0, n_rows, min(n_rows, max(rows, 1)) + 1).astype(int)
    column_edges = np.linspace(0, n_columns, min(n_columns, max(columns, 1)) + 1).astype(int)
    values = np.full((row_edges.size - 1, column_edges.size - 1), np.nan)
    for i in range(values.shape[0]):
        for k in range(values.shape[1]):
            block = matrix[row_edges[i] : row_edges[i + 1], column_edges[k] : column_edges[k + 1]]
            if np.any(~np.isnan(block)):
                values[i, k] = np.nanmax(block)
    return Grid(values, row_edges, column_edges)


_AXES = {
    "phi": "rows: samples, columns: units",
    "W": "rows: units, columns: inputs",
    "b": "one row: units",
}
# Largest grid drawn in a terminal; bigger tensors are shown in blocks, each as its worst element.
_GRID_ROWS = 32
_LABEL = 5  # cells taken by a grid row's index


def heatmap_lines(report: CheckReport, *, width: int) -> list[Line]:
    """Each failing tensor's relative errors as a grid of glyphs, a legend with numbers above.

    Two glyphs per element (a square in most fonts), as many columns as ``width`` allows; each
    cell of a pooled grid is the worst element of its block. Layers come in the tables' order,
    from the output down, so the cause's grid comes before the grids of the rows it breaks.
    """
    lines: list[Line] = []
    for check in (check for layer in reversed(report.layers) for check in layer.checks):
        if check.element_errors is None or check.passed:
            continue
        errors = np.atleast_2d(check.element_errors)
        grid = pooled(errors, _GRID_ROWS, max((width - _LABEL) // 2, 1))
        title = f"{quantity_symbol(check.quantity, check.layer)} relative error per element "
        title += f"({_AXES.get(check.quantity, 'elements')})"
        if grid.values.shape != errors.shape:
            title += "; each cell is the worst element of its block"
        lines += [*wrap(title, width, indent="  ", role="bold"), *_legend_lines(report.rtol, width)]
        for i, row in enumerate(grid.values):
            spans = [Span(f"{int(grid.row_edges[i]):>4} ")]
            spans += [_glyphs(level_of(float(error), report.rtol)) for error in row]
            lines.append(tuple(spans))
    return lines


def _glyphs(level: HeatLevel) -> Span:
    return Span(level.glyph * 2, level.role)


def _legend_lines(rtol: float, width: int) -> list[Line]:
    """'░░ ≤ 1e-05 (rtol)  ▒▒ ≤ 1e-04  ▓▓ ≤ 1e-02  ██ > 1e-02  ·· not judged', broken between
    entries."""
    lines: list[Line] = []
    current: list[Span] = [Span("  ")]
    used = 2
    for level, label in legend(rtol):
        entry = [_glyphs(level), Span(f" {label}")]
        size = cell_width(level.glyph * 2 + " " + label) + 2
        if used + size > width and used > 2:
            lines.append(tuple(current))
            current, used = [Span("  ")], 2
        current += [*entry, Span("  ")]
        used += size
    lines.append(tuple(current[:-1]))
    return lines
