"""The view of ``bpcheck sweep``: the V as a chart, the error table, the verdict."""

from __future__ import annotations

from rich.console import Console

from ..data.sweep import SweepReport
from ..formats.sweep_lines import sweep_lines
from .lines import show_lines

__all__ = ["show_sweep"]


def show_sweep(console: Console, report: SweepReport) -> None:
    show_lines(console, sweep_lines(report, width=console.width))
