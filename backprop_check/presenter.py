"""All terminal output goes through :class:`Presenter`; it only reads report data."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

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

from .notation import quantity_symbol
from .report import CheckReport, LayerReport, ProgressEvent, QuantityCheck

__all__ = ["Presenter"]

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
        self._out.file.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")

    def table(self, report: CheckReport) -> None:
        self._header(report)
        for layer in report.layers:
            self._out.print(self._layer_table(layer, depth=len(report.layers)))
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
        for warning in report.warnings:
            self._out.print(f"[yellow]Warning:[/] {escape(warning)}", soft_wrap=True)

    def _layer_table(self, layer: LayerReport, *, depth: int) -> Table:
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
        notes = []
        for check in layer.checks:
            table.add_row(*self._row(check))
            if check.note and not check.passed:
                notes.append(f"{quantity_symbol(check.quantity, check.layer)}: {check.note}")
        if notes:
            table.caption = "\n".join(notes)
            table.caption_justify = "left"
        return table

    @staticmethod
    def _row(check: QuantityCheck) -> list[str]:
        c = check.comparison
        size = 1
        for extent in c.shape:
            size *= extent
        result = "[green]pass[/]" if c.passed else f"[bold red]FAIL[/] {c.failed}/{c.checked}"
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
