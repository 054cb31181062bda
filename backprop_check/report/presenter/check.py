"""The view of a check report: a header, one rich table per layer, the diagnosis, the verdict;
and the one-line-per-config summary of a run over several configs."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..data import CheckReport, LayerReport, QuantityCheck, RunResult
from ..formats.text import (
    COLUMNS,
    ORIGIN_COLUMN,
    check_cells,
    failure_notes,
    header_lines,
    layer_title,
    origin_cell,
    verdict_line,
)

__all__ = ["show_check", "show_summary"]


def show_check(console: Console, report: CheckReport) -> None:
    """The whole report of one config."""
    title, *details = header_lines(report)
    console.print(f"[bold]bpcheck[/]{escape(title.removeprefix('bpcheck'))}", soft_wrap=True)
    for line in details:
        console.print(escape(line), soft_wrap=True)
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/] {escape(warning)}", soft_wrap=True)
    for layer in report.layers:
        console.print(_layer_table(layer, depth=len(report.layers), origin=report.impl is not None))
    console.print(escape(report.diagnosis), soft_wrap=True)
    verdict, rest = verdict_line(report).split(":", 1)
    colour = "bold green" if report.passed else "bold red"
    console.print(f"[{colour}]{verdict}[/]:{escape(rest)}", soft_wrap=True)


def _layer_table(layer: LayerReport, *, depth: int, origin: bool) -> Table:
    table = Table(title=layer_title(layer, depth), title_justify="left")
    for header, side in COLUMNS + ((ORIGIN_COLUMN,) if origin else ()):
        table.add_column(header, justify="right" if side == "right" else "left")
    for check in layer.checks:
        cells: list[str | Text] = [*check_cells(check)[:-1], _result(check)]
        if origin:
            cells.append(Text(origin_cell(check), style="dim" if check.mode == "skipped" else ""))
        table.add_row(*cells)
    notes = failure_notes(layer)
    if notes:
        table.caption = escape("\n".join(notes))
        table.caption_justify = "left"
    return table


def _result(check: QuantityCheck) -> Text:
    """The result cell with its first word coloured: pass green, FAIL bold red."""
    cell = check_cells(check)[-1]
    word, _, rest = cell.partition(" ")
    text = Text(word, style="green" if check.passed else "bold red")
    if rest:
        text.append(" " + rest)
    return text


def show_summary(console: Console, results: Sequence[RunResult]) -> None:
    """One line per config after all the tables."""
    passed = sum(result.status == "passed" for result in results)
    console.print(f"[bold]{passed} of {len(results)} configs passed[/]")
    for result in results:
        if result.report is None:
            mark = "[red]✗ FAILED[/]" if result.wrong_gradient else "[yellow]! invalid[/]"
            line = f"{mark} {escape(result.config)}: {escape(result.error or '')}"
        elif result.report.passed:
            checks = len(result.report.checks)
            line = f"[green]✓ passed[/] {escape(result.config)} ({checks} checks)"
        else:
            line = f"[red]✗ FAILED[/] {escape(result.config)}: {escape(result.report.diagnosis)}"
        console.print(line, soft_wrap=True)
