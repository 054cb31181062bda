"""All terminal output goes through :class:`Presenter`: reports on stdout, the rest on stderr."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from rich.console import Console
from rich.markup import escape

from ..data import CheckReport, ProgressEvent, RunResult
from ..data.explain import ExplainedLayer
from ..data.selftest import SelftestReport
from ..data.sweep import SweepReport
from ..formats.check_lines import FULL_WIDTH
from ..formats.json_document import json_text
from .check import show_check, show_summary
from .explain import show_explain
from .heatmap import show_heatmaps
from .progress import DelayedProgress
from .selftest import show_selftest
from .sweep import show_sweep

__all__ = ["Presenter"]


def _console(
    file: IO[str] | None, *, stderr: bool, terminal: bool | None = None, plain: bool = False
) -> Console:
    if plain:  # a file: no colour codes whatever the environment asks, every column on a line
        return Console(file=file, highlight=False, color_system=None, width=FULL_WIDTH)
    console = Console(file=file, stderr=stderr, highlight=False, force_terminal=terminal)
    # Piped output (CI logs) has no width; a generous one keeps each table row on one line.
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = FULL_WIDTH
    return console


class Presenter:
    """Renders reports as rich tables or JSON on stdout, and errors on stderr."""

    def __init__(
        self,
        *,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        stderr_is_terminal: bool | None = None,
        plain: bool = False,
    ) -> None:
        self._out = _console(stdout, stderr=False, plain=plain)
        self._err = _console(stderr, stderr=True, terminal=stderr_is_terminal)

    @staticmethod
    def recorded(draw: Callable[[Presenter], None]) -> str:
        """What ``draw`` shows, as text without colour at the full width: for --output files."""
        buffer = io.StringIO()
        draw(Presenter(stdout=buffer, stderr=io.StringIO(), plain=True))
        return buffer.getvalue()

    # ------------------------------------------------------------------ stderr

    def error(self, message: str) -> None:
        """One paragraph on stderr, never wrapped mid-sentence by the console."""
        self._err.print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)

    def wrong_gradient(self, message: str) -> None:
        """A wrong gradient found before any check ran (a formula's df): a failure, not an error."""
        self._err.print(f"[bold red]FAILED:[/] {escape(message)}", soft_wrap=True)

    def warning(self, message: str) -> None:
        self._err.print(f"[bold yellow]Note:[/] {escape(message)}", soft_wrap=True)

    def interrupted(self, summary: str) -> None:
        """What was done before Ctrl-C."""
        self._err.print(f"[bold yellow]{escape(summary)}[/]", soft_wrap=True)

    @contextmanager
    def progress(self) -> Iterator[Callable[[ProgressEvent], None] | None]:
        """A progress callback drawing on stderr, or None when stderr is not a terminal.

        The bar appears only once the check has run for about a second, and is gone when done.
        """
        if not self._err.is_terminal:
            yield None
            return
        bar = DelayedProgress(self._err)
        try:
            yield bar.update
        finally:
            bar.stop()

    # ------------------------------------------------------------------ one view per report

    def table(self, report: CheckReport) -> None:
        show_check(self._out, report)

    def heatmaps(self, report: CheckReport) -> None:
        """Each failing tensor's relative errors as a grid of glyphs (worst of each block)."""
        show_heatmaps(self._out, report)

    def blank_line(self) -> None:
        """Space between one report and the next."""
        self._out.print()

    def summary(self, results: Sequence[RunResult]) -> None:
        show_summary(self._out, results)

    def explain(self, layers: Sequence[ExplainedLayer], *, source: str, loss: str) -> None:
        show_explain(self._out, layers, source=source, loss=loss)

    def sweep(self, report: SweepReport) -> None:
        show_sweep(self._out, report)

    def selftest(self, report: SelftestReport) -> None:
        show_selftest(self._out, report)

    # ------------------------------------------------------------------ watch

    def clear(self) -> None:
        """Start a fresh screen for the next run (a no-op where stdout is not a terminal)."""
        if self._out.is_terminal:
            self._out.clear()

    def watching(self, paths: Sequence[str]) -> None:
        files = ", ".join(escape(path) for path in paths)
        self._out.print(
            f"[dim]watching {files}: save to re-check, Ctrl-C to stop[/]", soft_wrap=True
        )

    # ------------------------------------------------------------------ machine-readable

    def raw(self, text: str) -> None:
        """Text that must reach stdout byte for byte (JSON, XML, Markdown)."""
        self._out.file.write(text)

    def json_document(self, document: dict[str, Any]) -> None:
        self.raw(json_text(document))

    def json(self, report: CheckReport) -> None:
        self.json_document(report.to_dict())
