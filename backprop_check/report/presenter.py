"""All terminal output goes through :class:`Presenter`; it only reads report data."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from ..core.notation import quantity_symbol
from .data import CheckReport, LayerReport, ProgressEvent, QuantityCheck, RunResult

if TYPE_CHECKING:
    from ..judge.explain import ExplainedLayer
    from ..judge.selftest import SelftestReport
    from ..judge.sweep import SweepReport

__all__ = ["Presenter", "plain_text"]

_WIDE_ENOUGH = 160
# Checks quicker than this never show a progress bar.
_PROGRESS_DELAY = 1.0

_METHOD_NAMES = {
    "central": "central differences",
    "forward": "forward differences",
    "complex-step": "complex step",
    "richardson": "Richardson-extrapolated central differences",
}


def _console(file: IO[str] | None, *, stderr: bool, terminal: bool | None = None) -> Console:
    console = Console(file=file, stderr=stderr, highlight=False, force_terminal=terminal)
    # Piped output (CI logs) has no width; a generous one keeps each table row on one line.
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _WIDE_ENOUGH
    return console


def _number(value: float) -> str:
    return f"{value:.2e}"


def _signed(value: float) -> str:
    return f"{value:+.6e}"


class Presenter:
    """Renders reports as rich tables or JSON on stdout, and errors on stderr."""

    def __init__(
        self,
        *,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        stderr_is_terminal: bool | None = None,
    ) -> None:
        self._out = _console(stdout, stderr=False)
        self._err = _console(stderr, stderr=True, terminal=stderr_is_terminal)

    # ------------------------------------------------------------------ errors

    def error(self, message: str) -> None:
        """One paragraph on stderr, never wrapped mid-sentence by the console."""
        self._err.print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)

    def warning(self, message: str) -> None:
        self._err.print(f"[bold yellow]Note:[/] {escape(message)}", soft_wrap=True)

    # ------------------------------------------------------------------ progress

    @contextmanager
    def progress(self) -> Iterator[Callable[[ProgressEvent], None] | None]:
        """A progress callback drawing on stderr, or None when stderr is not a terminal.

        The bar appears only once the check has run for about a second, and is gone when done.
        """
        if not self._err.is_terminal:
            yield None
            return
        bar = _DelayedProgress(self._err)
        try:
            yield bar.update
        finally:
            bar.stop()

    # ------------------------------------------------------------------ reports

    def json(self, report: CheckReport) -> None:
        self.json_document(report.to_dict())

    def table(self, report: CheckReport) -> None:
        self._header(report)
        for layer in report.layers:
            self._out.print(
                self._layer_table(layer, depth=len(report.layers), origin=report.impl is not None)
            )
        self._footer(report)

    def _header(self, report: CheckReport) -> None:
        mode = {
            "full": "every element",
            "sample": f"{report.mode_count} sampled elements per tensor",
            "directions": f"{report.mode_count} random directions per tensor",
        }[report.mode]
        shape = " → ".join(
            [str(report.input_size)]
            + [f"{layer.units} {layer.activation}" for layer in report.layers]
        )
        self._out.print(f"[bold]bpcheck[/] · {escape(report.config)}", soft_wrap=True)
        self._out.print(
            f"network {shape} · loss {report.loss} = {report.loss_value:.6g} · "
            f"batch {report.batch_size} · seed {report.seed}",
            soft_wrap=True,
        )
        self._out.print(
            f"{_METHOD_NAMES.get(report.method, report.method)} · eps {report.eps:g} · "
            f"rtol {report.rtol:g} · atol {report.atol:g} · {mode} · {report.dtype} · "
            f"kinks: {report.kink_policy}",
            soft_wrap=True,
        )
        if report.impl is not None:
            used = sorted({name for check in report.checks for name in check.sources})
            self._out.print(
                f"your code: {escape(report.impl)} ({', '.join(used) or 'no step used'}); "
                "the rest is built in",
                soft_wrap=True,
            )
        for warning in report.warnings:
            self._out.print(f"[yellow]Warning:[/] {escape(warning)}", soft_wrap=True)

    def _layer_table(self, layer: LayerReport, *, depth: int, origin: bool) -> Table:
        role = "output" if layer.layer == depth else "hidden"
        title = (
            f"Layer {layer.layer} of {depth} · {layer.units} units · {layer.activation} · {role}"
        )
        table = Table(
            title=title,
            title_justify="left",
        )
        table.add_column("check")
        table.add_column("eq.", justify="right")
        table.add_column("shape", justify="right")
        table.add_column("max abs err", justify="right")
        table.add_column("max rel err", justify="right")
        table.add_column("‖a−n‖/(‖a‖+‖n‖)", justify="right")
        table.add_column("worst element: analytic / numeric")
        table.add_column("kinks", justify="right")
        table.add_column("dead", justify="right")
        table.add_column("result")
        if origin:
            table.add_column("from")
        notes = []
        for check in layer.checks:
            table.add_row(*self._row(check), *([_origin(check)] if origin else []))
            if check.passed:
                continue
            symbol = quantity_symbol(check.quantity, check.layer)
            notes += [f"{symbol}: {text}" for text in (check.note, check.hint) if text]
        if notes:
            table.caption = escape("\n".join(notes))
            table.caption_justify = "left"
        return table

    @staticmethod
    def _row(check: QuantityCheck) -> list[str]:
        c = check.comparison
        size = 1
        for extent in c.shape:
            size *= extent
        result = "[green]pass[/]" if check.passed else f"[bold red]FAIL[/] {c.failed}/{c.checked}"
        if check.unresolved:  # no verdict: a non-finite number, or kinks (--kinks fail)
            result = f"[bold red]UNRESOLVED[/] ({check.unresolved})"
        if check.mode == "directions":
            result += f" ({c.checked} direction{'s' if c.checked > 1 else ''})"
        elif c.checked < size:
            result += f" ({c.checked} of {size} checked)"
        return [
            quantity_symbol(check.quantity, check.layer),
            str(check.equation),
            "×".join(str(extent) for extent in c.shape),
            _number(c.max_abs_error),
            _number(c.max_rel_error),
            _number(c.rel_norm_error),
            f"{list(c.worst_index)}  {_signed(c.worst_analytic)} / {_signed(c.worst_numeric)}"
            if c.worst_index
            else "—",
            str(check.kinks),
            str(check.dead),
            result,
        ]

    # ------------------------------------------------------------------ heatmaps

    def heatmaps(self, report: CheckReport) -> None:
        """Each failing tensor's relative errors as a coloured grid (worst of each block)."""
        for check in report.checks:
            if check.element_errors is None:
                continue
            self._out.print(
                f"[bold]{quantity_symbol(check.quantity, check.layer)}[/] relative error per "
                f"element ({_heatmap_axes(check.quantity)}); "
                + " ".join(f"[{colour}]██[/] {label}" for colour, label in _HEAT_LEGEND),
                soft_wrap=True,
            )
            self._out.print(_heatmap(check.element_errors, report.rtol))

    # ------------------------------------------------------------------ explain

    def explain(self, layers: tuple[ExplainedLayer, ...], *, source: str, loss: str) -> None:
        self._out.print(
            f"[bold]bpcheck explain[/] · {escape(source)} · loss {loss}", soft_wrap=True
        )
        for layer in layers:
            title = f"Layer {layer.layer} · {layer.units} units · {layer.activation} · {layer.role}"
            table = Table(
                title=title,
                title_justify="left",
                show_header=False,
                box=None,
                padding=(0, 1),
            )
            table.add_column(justify="right")
            table.add_column()
            table.add_column(style="dim")
            table.add_column(justify="right")
            for line in layer.lines:
                table.add_row(line.symbol, f"= {line.formula}", f"({line.source})", line.shape)
            self._out.print(table)

    # ------------------------------------------------------------------ sweep

    def sweep(self, report: SweepReport) -> None:
        from ..judge.sweep import format_step

        self._out.print(f"[bold]bpcheck sweep[/] · {escape(report.config)}", soft_wrap=True)
        self._out.print(
            f"{_METHOD_NAMES.get(report.method, report.method)} · rtol {report.rtol:g} · "
            f"atol {report.atol:g} · configured eps {format_step(report.configured_eps)}",
            soft_wrap=True,
        )
        self._out.print(_sweep_chart(report))
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
            verdict = {"passes": "[green]passes[/]", "numerical": "[yellow]numerical[/]"}.get(
                row.verdict, "[bold red]bug[/]"
            )
            table.add_row(row.symbol, *cells, format_step(row.best_step), verdict)
        self._out.print(table)
        self._out.print(escape(report.summary()), soft_wrap=True)

    # ------------------------------------------------------------------ selftest

    def selftest(self, report: SelftestReport) -> None:
        verdict = "[green]passes[/]" if report.correct_passed else "[bold red]FAILS[/]"
        self._out.print(f"[bold]bpcheck selftest[/] · the correct build {verdict} on every network")
        for failure in report.correct_failures:
            self._out.print(f"  [red]{escape(failure)}[/]", soft_wrap=True)
        table = Table(
            title="wrong backpropagations and whether the check caught them", title_justify="left"
        )
        table.add_column("mutant")
        table.add_column("from")
        table.add_column("mistake")
        table.add_column("caught by")
        table.add_column("max rel err", justify="right")
        table.add_column("result")
        for result in report.results:
            table.add_row(
                result.name,
                result.origin,
                escape(result.explanation),
                result.row or "—",
                f"{result.error:.1e}" if result.row else "—",
                "[green]caught[/]" if result.caught else "[bold red]MISSED[/]",
            )
        self._out.print(table)
        for result in report.results:
            if result.why_not:
                self._out.print(
                    f"{result.name}: not catchable on the usual networks: "
                    f"{escape(result.why_not)}.",
                    soft_wrap=True,
                )
        caught = sum(result.caught for result in report.results)
        total = len(report.results)
        status = "[bold green]PASSED[/]" if report.passed else "[bold red]FAILED[/]"
        self._out.print(f"{status}: {caught} of {total} mutants caught.")

    # ------------------------------------------------------------------ watch

    def clear(self) -> None:
        """Start a fresh screen for the next run (a no-op where stdout is not a terminal)."""
        if self._out.is_terminal:
            self._out.clear()

    def watching(self, paths: list[str]) -> None:
        files = ", ".join(escape(path) for path in paths)
        self._out.print(
            f"[dim]watching {files}: save to re-check, Ctrl-C to stop[/]", soft_wrap=True
        )

    # ------------------------------------------------------------------ several configs

    def summary(self, results: list[RunResult]) -> None:
        """One line per config after all the tables."""
        passed = sum(result.status == "passed" for result in results)
        self._out.print(f"[bold]{passed} of {len(results)} configs passed[/]")
        for result in results:
            if result.report is None:
                line = f"[yellow]! invalid[/] {escape(result.config)}: {escape(result.error or '')}"
            elif result.report.passed:
                checks = len(result.report.checks)
                line = f"[green]✓ passed[/] {escape(result.config)} ({checks} checks)"
            else:
                line = (
                    f"[red]✗ FAILED[/] {escape(result.config)}: {escape(result.report.diagnosis)}"
                )
            self._out.print(line, soft_wrap=True)

    def interrupted(
        self, results: list[RunResult], current: str, completed: list[QuantityCheck], total: int
    ) -> None:
        """What was checked before Ctrl-C, on stderr."""
        failed = [row for row in completed if not row.passed]
        finished = ", ".join(f"{r.config} {r.status}" for r in results)
        text = f"Interrupted while checking {current}: {len(completed)} of {total} checks done"
        if completed:
            text += f", {len(completed) - len(failed)} passed, {len(failed)} failed"
            if failed:
                text += " (" + ", ".join(quantity_symbol(r.quantity, r.layer) for r in failed) + ")"
        text += "." + (f" Finished before it: {finished}." if finished else "")
        self._err.print(f"[bold yellow]{escape(text)}[/]", soft_wrap=True)

    def raw(self, text: str) -> None:
        """Text that must reach stdout byte for byte (JSON, XML, Markdown)."""
        self._out.file.write(text)

    def json_document(self, document: dict[str, Any]) -> None:
        self._out.file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")

    def _footer(self, report: CheckReport) -> None:
        checks = report.checks
        failed = sum(not check.passed for check in checks)
        self._out.print(escape(report.diagnosis), soft_wrap=True)
        if failed:
            self._out.print(f"[bold red]FAILED[/]: {failed} of {len(checks)} checks failed.")
        else:
            self._out.print(f"[bold green]PASSED[/]: {len(checks)} of {len(checks)} checks.")


class _DelayedProgress:
    """A rich progress display that only starts once the work has lasted a while."""

    def __init__(self, console: Console) -> None:
        self._created = time.monotonic()
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, tuple[TaskID, float]] = {}
        self._live = False

    def update(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        if event.label not in self._tasks:
            task = self._progress.add_task(event.label, total=event.total, rate="")
            self._tasks[event.label] = (task, now)
        task, started = self._tasks[event.label]
        elapsed = now - started
        rate = f"{event.completed / elapsed:,.0f} elements/s" if elapsed > 0.05 else ""
        self._progress.update(task, completed=event.completed, rate=rate)
        if not self._live and now - self._created > _PROGRESS_DELAY:
            self._progress.start()
            self._live = True

    def stop(self) -> None:
        if self._live:
            self._progress.stop()


def _origin(check: QuantityCheck) -> str:
    if check.mode == "skipped":
        return "[dim]not checked[/]"
    return f"yours: {', '.join(check.sources)}" if check.sources else "built-in"


_HEAT_LEGEND = (
    ("green", "≤ rtol"),
    ("yellow", "≤ 10·rtol"),
    ("dark_orange", "≤ 1 %"),
    ("red", "> 1 %"),
    ("grey37", "not judged"),
)
# Largest grid drawn; bigger tensors are shown in blocks, each as its worst element.
_HEAT_ROWS, _HEAT_COLUMNS = 32, 64


def _heatmap_axes(quantity: str) -> str:
    return {
        "phi": "rows: samples, columns: units",
        "W": "rows: units, columns: inputs",
        "b": "one row: units",
    }[quantity]


def _heat_colour(error: float, rtol: float) -> str:
    if not np.isfinite(error):
        return "grey37" if np.isnan(error) else "red"
    if error <= rtol:
        return "green"
    if error <= 10 * rtol:
        return "yellow"
    return "dark_orange" if error <= 1e-2 else "red"


def _pooled(errors: np.ndarray) -> np.ndarray:
    """Shrink a matrix to at most the drawn grid, keeping each block's worst error."""
    rows, columns = errors.shape
    row_edges = np.linspace(0, rows, min(rows, _HEAT_ROWS) + 1).astype(int)
    column_edges = np.linspace(0, columns, min(columns, _HEAT_COLUMNS) + 1).astype(int)
    pooled = np.full((row_edges.size - 1, column_edges.size - 1), np.nan)
    for i in range(pooled.shape[0]):
        for k in range(pooled.shape[1]):
            block = errors[row_edges[i] : row_edges[i + 1], column_edges[k] : column_edges[k + 1]]
            if np.any(~np.isnan(block)):
                pooled[i, k] = np.nanmax(block)
    return pooled


def _heatmap(errors: np.ndarray, rtol: float) -> Text:
    matrix = _pooled(np.atleast_2d(errors))
    text = Text()
    for i, row in enumerate(matrix):
        text.append(f"{i:>4} ")
        for error in row:
            text.append("██", style=_heat_colour(float(error), rtol))
        text.append("\n")
    return text


_SWEEP_MARKERS = {"phi": "●", "W": "■", "b": "▲"}
_SWEEP_COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "red")
_SWEEP_DECADES = range(0, -17, -1)


def _sweep_chart(report: SweepReport) -> Text:
    """Max relative error (log scale, rows) against eps (columns): the V, one marker per check."""
    from ..judge.sweep import format_step

    cells: dict[tuple[int, int], tuple[str, str]] = {}
    for row in report.rows:
        marker = _SWEEP_MARKERS[row.quantity]
        colour = _SWEEP_COLOURS[(row.layer - 1) % len(_SWEEP_COLOURS)]
        for column, error in enumerate(row.max_rel_errors):
            decade = (
                0
                if not np.isfinite(error)
                else int(np.clip(np.floor(np.log10(max(error, 1e-16))), -16, 0))
            )
            key = (decade, column)
            cells[key] = ("*", "white") if key in cells else (marker, colour)
    text = Text()
    for decade in _SWEEP_DECADES:
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
    legend = "  ".join(f"{_SWEEP_MARKERS[row.quantity]} {row.symbol}" for row in report.rows)
    text.append(f"  {legend}   * several   ─ rtol\n")
    return text


def plain_text(report: CheckReport) -> str:
    """The report's tables and diagnosis as plain text: for assertion messages and pytest."""
    buffer = io.StringIO()
    Presenter(stdout=buffer, stderr=io.StringIO()).table(report)
    return buffer.getvalue()
