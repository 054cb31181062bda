"""The view of ``bpcheck sweep``: the V as a terminal chart, the error table, the verdict."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..data.sweep import SweepReport, format_step
from ..formats.text import METHOD_NAMES

__all__ = ["show_sweep", "sweep_chart"]

_MARKERS = {"phi": "●", "W": "■", "b": "▲"}
_COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "red")
_DECADES = range(0, -17, -1)
_VERDICTS = {"passes": "[green]passes[/]", "numerical": "[yellow]numerical[/]"}


def show_sweep(console: Console, report: SweepReport) -> None:
    console.print(f"[bold]bpcheck sweep[/] · {escape(report.config)}", soft_wrap=True)
    console.print(
        f"{METHOD_NAMES.get(report.method, report.method)} · rtol {report.rtol:g} · "
        f"atol {report.atol:g} · configured eps {format_step(report.configured_eps)}",
        soft_wrap=True,
    )
    console.print(sweep_chart(report))
    table = Table(title="max relative error against eps", title_justify="left")
    table.add_column("check")
    for step in report.steps:
        table.add_column(format_step(step), justify="right")
    table.add_column("best eps", justify="right")
    table.add_column("verdict")
    for row in report.rows:
        cells = [
            f"[{'green' if ok else 'red'}]{error:.0e}[/]"
            for error, ok in zip(row.max_rel_errors, row.passed, strict=True)
        ]
        verdict = _VERDICTS.get(row.verdict, "[bold red]bug[/]")
        table.add_row(row.symbol, *cells, format_step(row.best_step), verdict)
    console.print(table)
    console.print(escape(report.summary()), soft_wrap=True)


def sweep_chart(report: SweepReport) -> Text:
    """Max relative error (log scale, rows) against eps (columns): the V, one marker per check."""
    cells: dict[tuple[int, int], tuple[str, str]] = {}
    for row in report.rows:
        marker = _MARKERS[row.quantity]
        colour = _COLOURS[(row.layer - 1) % len(_COLOURS)]
        for column, error in enumerate(row.max_rel_errors):
            decade = (
                0
                if not np.isfinite(error)
                else int(np.clip(np.floor(np.log10(max(error, 1e-16))), -16, 0))
            )
            key = (decade, column)
            cells[key] = ("*", "white") if key in cells else (marker, colour)
    text = Text()
    for decade in _DECADES:
        threshold = "─" if 10.0**decade >= report.rtol > 10.0 ** (decade - 1) else " "
        text.append(f"1e{decade:+03d} │")
        for column in range(len(report.steps)):
            marker, colour = cells.get((decade, column), (threshold * 2, "dim"))
            text.append(
                f" {marker:<2}" if marker != threshold * 2 else f"{threshold * 3}", style=colour
            )
        text.append("\n")
    text.append("      └" + "───" * len(report.steps) + "\n")
    text.append(
        "  eps  " + "".join(format_step(step)[-3:].rjust(3) for step in report.steps) + "\n"
    )
    legend = "  ".join(f"{_MARKERS[row.quantity]} {row.symbol}" for row in report.rows)
    text.append(f"  {legend}   * several   ─ rtol\n")
    return text
