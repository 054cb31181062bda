"""Laid-out lines on a rich console: each span's role becomes a style, nothing else changes.

Every word and glyph is in the lines already, so a terminal without colour (NO_COLOR, a pipe, a
file) reads the same information, only plainer.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.text import Text

from ..formats.layout import Line

__all__ = ["STYLES", "show_lines", "styled"]

STYLES = {
    "bold": "bold",
    "title": "bold",
    "header": "bold",
    "rule": "dim",
    "dim": "dim",
    "pass": "green",
    "passed": "green",
    "fail": "bold red",
    "failed": "bold red",
    "invalid": "yellow",
    "follows": "red",
    "warn": "bold yellow",
    "heat.pass": "green",
    "heat.near": "yellow",
    "heat.far": "dark_orange",
    "heat.worst": "red",
    "heat.none": "grey50",
    "verdict.passes": "green",
    "verdict.numerical": "yellow",
    "verdict.bug": "bold red",
    # Sweep markers, per layer (the marker's text names the layer too).
    "layer0": "cyan",
    "layer1": "magenta",
    "layer2": "yellow",
    "layer3": "green",
    "layer4": "blue",
    "layer5": "red",
}


def styled(line: Line) -> Text:
    text = Text(no_wrap=True, overflow="ignore")
    for span in line:
        text.append(span.text, style=STYLES.get(span.role, ""))
    return text


def show_lines(console: Console, lines: Iterable[Line]) -> None:
    """Print ``lines`` as they are: laid out for the console's width already, never rewrapped."""
    for line in lines:
        console.print(styled(line), soft_wrap=True)
