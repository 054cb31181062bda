"""Each failing tensor's element errors as a grid of intensity glyphs, pooled to the width."""

from __future__ import annotations

from rich.console import Console

from ..data import CheckReport
from ..formats.heat import heatmap_lines
from .lines import show_lines

__all__ = ["show_heatmaps"]


def show_heatmaps(console: Console, report: CheckReport) -> None:
    show_lines(console, heatmap_lines(report, width=console.width))
