"""The view of a check report and of a run over several configs, at the console's width."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from ..data import CheckReport, RunResult
from ..formats.check_lines import check_lines
from ..formats.summary import summary_lines
from .lines import show_lines

__all__ = ["show_check", "show_summary"]


def show_check(console: Console, report: CheckReport) -> None:
    """The whole report of one config: the cause first when it fails, a table per layer."""
    show_lines(console, check_lines(report, width=console.width))


def show_summary(console: Console, results: Sequence[RunResult]) -> None:
    """One line per config, then the totals."""
    show_lines(console, summary_lines(results, width=console.width))
