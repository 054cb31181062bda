"""All terminal output goes through :class:`Presenter`: reports on stdout, the rest on stderr.

rich is imported only when something is drawn with it: a message on a terminal, a table, a
progress bar. JSON on a pipe with notes on a pipe never loads it (a lean start).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

from ..data import CheckReport, ProgressEvent, RunResult

if TYPE_CHECKING:
    from rich.console import Console

    from ..data.explain import ExplainedLayer
    from ..data.selftest import SelftestReport
    from ..data.sweep import SweepReport

__all__ = ["Presenter"]


def _console(
    file: IO[str] | None, *, stderr: bool, terminal: bool | None = None, plain: bool = False
) -> Console:
    from rich.console import Console

    from ..formats.check_lines import FULL_WIDTH

    if plain:  # a file: no colour codes whatever the environment asks, every column on a line
        return Console(file=file, highlight=False, color_system=None, width=FULL_WIDTH)
    console = Console(file=file, stderr=stderr, highlight=False, force_terminal=terminal)
    # Piped output (CI logs) has no width; a generous one keeps each table row on one line.
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = FULL_WIDTH
    return console


def _unstyled(file: IO[str] | None, terminal: bool | None) -> bool:
    """Whether rich would print to ``file`` (None: stderr) without any style: not a terminal,
    and nothing in the environment forcing one (FORCE_COLOR, TTY_COMPATIBLE)."""
    if terminal is not None:
        return not terminal
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE", "") not in ("", "0"):
        return False
    isatty = getattr(sys.stderr if file is None else file, "isatty", None)
    return not (isatty is not None and isatty())


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
        self._stdout, self._stderr, self._plain = stdout, stderr, plain
        self._stderr_is_terminal = stderr_is_terminal

    @cached_property
    def _out(self) -> Console:
        return _console(self._stdout, stderr=False, plain=self._plain)

    @cached_property
    def _err(self) -> Console:
        return _console(self._stderr, stderr=True, terminal=self._stderr_is_terminal)

    def _note(self, label: str, style: str, message: str) -> None:
        """``label`` and ``message`` as one paragraph on stderr, never wrapped mid-sentence."""
        if _unstyled(self._stderr, self._stderr_is_terminal):
            (sys.stderr if self._stderr is None else self._stderr).write(f"{label}{message}\n")
            return
        from rich.markup import escape

        text = f"[{style}]{escape(label)}[/]{escape(message)}"
        self._err.print(text if label else f"[{style}]{escape(message)}[/]", soft_wrap=True)

    @staticmethod
    def recorded(draw: Callable[[Presenter], None]) -> str:
        """What ``draw`` shows, as text without colour at the full width: for --output files."""
        buffer = io.StringIO()
        draw(Presenter(stdout=buffer, stderr=io.StringIO(), plain=True))
        return buffer.getvalue()

    # ------------------------------------------------------------------ stderr

    def error(self, message: str) -> None:
        """One paragraph on stderr, never wrapped mid-sentence by the console."""
        self._note("Error: ", "bold red", message)

    def wrong_gradient(self, message: str) -> None:
        """A wrong gradient found before any check ran (a formula's df): a failure, not an error."""
        self._note("FAILED: ", "bold red", message)

    def warning(self, message: str) -> None:
        self._note("Note: ", "bold yellow", message)

    def interrupted(self, summary: str) -> None:
        """What was done before Ctrl-C."""
        self._note("", "bold yellow", summary)

    @contextmanager
    def progress(self) -> Iterator[Callable[[ProgressEvent], None] | None]:
        """A progress callback drawing on stderr, or None when stderr is not a terminal.

        The bar appears only once the check has run for about a second, and is gone when done.
        """
        if _unstyled(self._stderr, self._stderr_is_terminal) or not self._err.is_terminal:
            yield None
            return
        from .progress import DelayedProgress

        bar = DelayedProgress(self._err)
        try:
            yield bar.update
        finally:
            bar.stop()

    # ------------------------------------------------------------------ one view per report

    def table(self, report: CheckReport) -> None:
        from .check import show_check

        show_check(self._out, report)

    def heatmaps(self, report: CheckReport) -> None:
        """Each failing tensor's relative errors as a grid of glyphs (worst of each block)."""
        from .heatmap import show_heatmaps

        show_heatmaps(self._out, report)

    def blank_line(self) -> None:
        """Space between one report and the next."""
        self._out.print()

    def summary(self, results: Sequence[RunResult]) -> None:
        from .check import show_summary

        show_summary(self._out, results)

    def explain(self, layers: Sequence[ExplainedLayer], *, source: str, loss: str) -> None:
        from .explain import show_explain

        show_explain(self._out, layers, source=source, loss=loss)

    def sweep(self, report: SweepReport) -> None:
        from .sweep import show_sweep

        show_sweep(self._out, report)

    def selftest(self, report: SelftestReport) -> None:
        from .selftest import show_selftest

        show_selftest(self._out, report)

    # ------------------------------------------------------------------ watch

    def clear(self) -> None:
        """Start a fresh screen for the next run (a no-op where stdout is not a terminal)."""
        if self._out.is_terminal:
            self._out.clear()

    def watching(self, paths: Sequence[str]) -> None:
        from rich.markup import escape

        files = ", ".join(escape(path) for path in paths)
        self._out.print(
            f"[dim]watching {files}: save to re-check, Ctrl-C to stop[/]", soft_wrap=True
        )

    # ------------------------------------------------------------------ machine-readable

    def raw(self, text: str) -> None:
        """Text that must reach stdout byte for byte (JSON, XML, Markdown)."""
        (sys.stdout if self._stdout is None else self._stdout).write(text)

    def json_document(self, document: dict[str, Any]) -> None:
        from ..formats.json_document import json_text

        self.raw(json_text(document))

    def json(self, report: CheckReport) -> None:
        self.json_document(report.to_dict())
