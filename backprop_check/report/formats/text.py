"""A check report as plain text, without rich: for assertion messages, pytest and files.

It is the terminal's layout (:mod:`.check_lines`) without the colour, so the terminal, an
``AssertionError`` and a text file say the same thing in the same words.
"""

from __future__ import annotations

from ..data import CheckReport
from .check_lines import FULL_WIDTH, check_lines
from .layout import lines_text

__all__ = ["plain_text"]


def plain_text(report: CheckReport, *, width: int | None = None) -> str:
    """The whole report as the terminal shows it, without colour, laid out for ``width``
    (default: wide enough for every column)."""
    return lines_text(check_lines(report, width=width or FULL_WIDTH))
