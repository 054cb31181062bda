"""All terminal output goes through :class:`Presenter`; it only reads report data."""

from __future__ import annotations

import json
import os
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .notation import quantity_symbol
from .report import CheckReport, LayerReport, QuantityCheck

__all__ = ["Presenter"]

_WIDE_ENOUGH = 160


def _console(file: IO[str] | None, *, stderr: bool) -> Console:
    console = Console(file=file, stderr=stderr, highlight=False)
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

    def __init__(self, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> None:
        self._out = _console(stdout, stderr=False)
        self._err = _console(stderr, stderr=True)

    # ------------------------------------------------------------------ errors

    def error(self, message: str) -> None:
        """One paragraph on stderr, never wrapped mid-sentence by the console."""
        self._err.print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)

    # ------------------------------------------------------------------ reports

    def json(self, report: CheckReport) -> None:
        self._out.file.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")

    def table(self, report: CheckReport) -> None:
        self._header(report)
        for layer in report.layers:
            self._out.print(self._layer_table(layer, depth=len(report.layers)))
        self._footer(report)

    def _header(self, report: CheckReport) -> None:
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
            f"{report.method} differences · eps {report.eps:g} · rtol {report.rtol:g} · "
            f"atol {report.atol:g}",
            soft_wrap=True,
        )

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
        table.add_column("result")
        for check in layer.checks:
            table.add_row(*self._row(check))
        return table

    @staticmethod
    def _row(check: QuantityCheck) -> list[str]:
        c = check.comparison
        size = 1
        for extent in c.shape:
            size *= extent
        result = "[green]pass[/]" if c.passed else f"[bold red]FAIL[/] {c.failed}/{size}"
        return [
            quantity_symbol(check.quantity, check.layer),
            str(check.equation),
            "×".join(str(extent) for extent in c.shape),
            _number(c.max_abs_error),
            _number(c.max_rel_error),
            _number(c.rel_norm_error),
            f"{list(c.worst_index)}  {_signed(c.worst_analytic)} / {_signed(c.worst_numeric)}",
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
