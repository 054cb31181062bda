"""Text laid out for a width: spans with roles, words wrapped, tables that fit.

No rich here. A line is a tuple of spans, each with a role ("fail", "pass", "dim", ...); the
terminal presenter styles each role, plain text joins the spans. So the terminal, a text file and an
assertion message are one layout, and colour only ever repeats what the words already say.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Column",
    "Line",
    "Span",
    "cell_width",
    "join",
    "line_of",
    "lines_text",
    "pack",
    "plain",
    "table",
    "table_width",
    "wrap",
]


@dataclass(frozen=True)
class Span:
    """A piece of text and what it means (the presenter's style key); "" is plain."""

    text: str
    role: str = ""


Line = tuple[Span, ...]


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes: wide (East Asian) characters two, combining marks none."""
    width = 0
    for character in text:
        if unicodedata.combining(character):
            continue
        width += 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1
    return width


def line_of(*parts: str | Span) -> Line:
    """A line from strings (plain) and spans."""
    return tuple(part if isinstance(part, Span) else Span(part) for part in parts if part)


def plain(line: Line) -> str:
    return "".join(span.text for span in line)


def lines_text(lines: Iterable[Line]) -> str:
    """Lines as plain text, each ending in a newline, trailing spaces dropped."""
    return "".join(plain(line).rstrip() + "\n" for line in lines)


def join(parts: Sequence[Line], separator: str = " · ") -> Line:
    """Lines put side by side with ``separator`` between them."""
    spans: list[Span] = []
    for i, part in enumerate(parts):
        if i:
            spans.append(Span(separator))
        spans += part
    return tuple(spans)


# Spaces that must not break a line: after a comparison sign before its number ("> 99.9 %",
# "≈ 0.5 %"), and before a unit (%) or a tag such as "(rtol)". textwrap breaks only at ASCII
# whitespace, so a no-break space holds them together.
_GLUE = re.compile(r"(?<=[≈<>≤≥=←]) (?=[\d+−-])|(?<=\d) (?=%|\(rtol\))")


def wrap(text: str, width: int, *, indent: str = "", first: str = "", role: str = "") -> list[Line]:
    """``text`` wrapped at spaces to ``width``: the first line starts with ``first``, the rest
    with ``indent``. Never at a hyphen, so no number such as 1e-06 is split; only a word longer
    than a whole line (a long path) is broken."""
    available = max(width - max(cell_width(first), cell_width(indent)), 8)
    pieces = textwrap.wrap(
        _GLUE.sub("\u00a0", text),
        available,
        break_on_hyphens=False,
        break_long_words=True,
        drop_whitespace=True,
    ) or [""]
    return [
        line_of(Span(first if i == 0 else indent), Span(piece.replace("\u00a0", " "), role))
        for i, piece in enumerate(pieces)
    ]


def pack(
    parts: Sequence[str],
    width: int,
    *,
    separator: str = " · ",
    first: str = "",
    indent: str = "  ",
) -> list[str]:
    """``parts`` joined by ``separator`` into as few lines as fit ``width``, the first line starting
    with ``first``, the others with ``indent``: a line breaks only between parts, and a part too
    long for a line of its own is word-wrapped."""
    lines: list[str] = []
    current, empty = first, True
    for part in parts:
        if not empty and cell_width(current + separator + part) <= width:
            current += separator + part
            continue
        if not empty:
            lines.append(current)
            current, empty = indent, True
        if cell_width(current + part) <= width:
            current, empty = current + part, False
            continue
        wrapped = [plain(piece) for piece in wrap(part, width, first=current, indent=indent)]
        lines += wrapped[:-1]
        current, empty = wrapped[-1], False
    if not empty:
        lines.append(current)
    return lines


@dataclass(frozen=True)
class Column:
    """A table column: its header, and the side its cells align to ("left" or "right")."""

    header: str
    side: str = "left"


Cell = str | Span


def _text(cell: Cell) -> str:
    return cell.text if isinstance(cell, Span) else cell


def table_width(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], *, gap: int = 2) -> int:
    """The width :func:`table` would take without a flexible column."""
    widths = _widths(columns, rows)
    return sum(widths) + gap * (len(widths) - 1)


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> list[int]:
    return [
        max([cell_width(column.header), *(cell_width(_text(row[i])) for row in rows)])
        for i, column in enumerate(columns)
    ]


def table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    gap: int = 2,
    flex: int | None = None,
    width: int | None = None,
) -> tuple[list[Line], list[list[Line]]]:
    """A header line and a rule, and each row's lines: cells padded to their column's widest.

    ``flex`` names a column whose cells are wrapped at words to what ``width`` leaves over, so a
    row may take several lines. Returns (header lines, lines per row), so that a caller can put
    lines of its own under a row.
    """
    widths = _widths(columns, rows)
    if flex is not None and width is not None:
        others = sum(w for i, w in enumerate(widths) if i != flex) + gap * (len(widths) - 1)
        widths[flex] = max(min(widths[flex], width - others), cell_width(columns[flex].header), 8)
    spacer = Span(" " * gap)

    def render(cells: Sequence[Cell], role: str = "") -> list[Line]:
        stacks = [
            _cell_lines(cell, widths[i], wrap_it=i == flex, role=role)
            for i, cell in enumerate(cells)
        ]
        height = max(len(stack) for stack in stacks)
        lines = []
        for k in range(height):
            spans: list[Span] = []
            for i, (stack, column) in enumerate(zip(stacks, columns, strict=True)):
                span = stack[k] if k < len(stack) else Span("")
                pad = " " * (widths[i] - cell_width(span.text))
                if i:
                    spans.append(spacer)
                if column.side == "right":
                    spans += [Span(pad), span]
                else:
                    spans += [span, Span(pad)]
            lines.append(_trimmed(spans))
        return lines

    head = render([column.header for column in columns], role="header")
    rule = join([line_of(Span("─" * w, "rule")) for w in widths], " " * gap)
    return [*head, rule], [render(row) for row in rows]


def _cell_lines(cell: Cell, width: int, *, wrap_it: bool, role: str) -> list[Span]:
    span = cell if isinstance(cell, Span) else Span(cell, role)
    if not wrap_it or cell_width(span.text) <= width:
        return [span]
    return [Span(plain(piece), span.role) for piece in wrap(span.text, width)]


def _trimmed(spans: list[Span]) -> Line:
    """Trailing padding dropped, so no line is wider than its text."""
    while spans and not spans[-1].text.strip():
        spans.pop()
    return tuple(span for span in spans if span.text)
