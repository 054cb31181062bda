"""The view of ``bpcheck selftest``: the correct build's verdict, which row caught each mutant."""

from __future__ import annotations

from rich.console import Console

from ..data.selftest import SelftestReport
from ..formats.selftest_lines import selftest_lines
from .lines import show_lines

__all__ = ["show_selftest"]


def show_selftest(console: Console, report: SelftestReport) -> None:
    show_lines(console, selftest_lines(report, width=console.width))
