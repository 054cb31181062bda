"""Each failing tensor's element errors as a coloured grid, pooled to fit the terminal."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ...core.notation import quantity_symbol
from ..data import CheckReport

__all__ = ["heatmap", "pooled", "show_heatmaps"]

_HEAT_LEGEND = (
    ("green", "≤ rtol"),
    ("yellow", "≤ 10·rtol"),
    ("dark_orange", "≤ 1 %"),
    ("red", "> 1 %"),
    ("grey37", "not judged"),
)
# Largest grid drawn; bigger tensors are shown in blocks, each as its worst element.
_HEAT_ROWS, _HEAT_COLUMNS = 32, 64
_AXES = {
    "phi": "rows: samples, columns: units",
    "W": "rows: units, columns: inputs",
    "b": "one row: units",
}


def show_heatmaps(console: Console, report: CheckReport) -> None:
    """A title with the legend and a grid for every row that kept its element errors."""
    legend = " ".join(f"[{colour}]██[/] {label}" for colour, label in _HEAT_LEGEND)
    for check in report.checks:
        if check.element_errors is None:
            continue
        symbol = escape(quantity_symbol(check.quantity, check.layer))
        console.print(
            f"[bold]{symbol}[/] relative error per element ({_AXES[check.quantity]}); {legend}",
            soft_wrap=True,
        )
        console.print(heatmap(check.element_errors, report.rtol))


def heatmap(errors: np.ndarray, rtol: float) -> Text:
    """One line per (pooled) row: its index, then a coloured cell per (pooled) column."""
    matrix = pooled(np.atleast_2d(errors))
    text = Text()
    for i, row in enumerate(matrix):
        text.append(f"{i:>4} ")
        for error in row:
            text.append("██", style=_colour(float(error), rtol))
        text.append("\n")
    return text


def pooled(errors: np.ndarray) -> np.ndarray:
    """Shrink a matrix to at most the drawn grid, keeping each block's worst error."""
    rows, columns = errors.shape
    row_edges = np.linspace(0, rows, min(rows, _HEAT_ROWS) + 1).astype(int)
    column_edges = np.linspace(0, columns, min(columns, _HEAT_COLUMNS) + 1).astype(int)
    result = np.full((row_edges.size - 1, column_edges.size - 1), np.nan)
    for i in range(result.shape[0]):
        for k in range(result.shape[1]):
            block = errors[row_edges[i] : row_edges[i + 1], column_edges[k] : column_edges[k + 1]]
            if np.any(~np.isnan(block)):
                result[i, k] = np.nanmax(block)
    return result


def _colour(error: float, rtol: float) -> str:
    if not np.isfinite(error):
        return "grey37" if np.isnan(error) else "red"
    if error <= rtol:
        return "green"
    if error <= 10 * rtol:
        return "yellow"
    return "dark_orange" if error <= 1e-2 else "red"
