"""Checks on a config's text before any YAML parser sees it: size, characters, nesting.

PyYAML's pure-Python scanner takes time quadratic in the nesting of flow collections (2,000
levels: seconds), and its composer recurses once per level; libyaml stops at 1,000 levels with a
message of its own. Counting the brackets first refuses deep nesting in one pass over the text,
with its line and column, whichever loader runs next.
"""

from __future__ import annotations

import re

__all__ = ["TextError", "check_text"]

# YAML's printable characters (PyYAML's Reader.NON_PRINTABLE, negated); a byte-order mark is
# allowed only as the first character.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# What can open or close a flow collection, a quoted scalar or a comment.
_SIGNIFICANT = re.compile(r"""[\[\]{}'"#]""")
# Where a quote opens a quoted scalar rather than sitting inside a plain one ("don't").
_TOKEN_START = " \t\r\n[{,:"
# The rest of a double-quoted scalar, escapes included, up to its closing quote.
_DOUBLE_QUOTED_REST = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)


class TextError(Exception):
    """What is wrong with the text, and where (1-based line and column)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def check_text(text: str, *, max_depth: int) -> None:
    """Raise :class:`TextError` for a character YAML forbids or flow collections nested more
    than ``max_depth`` deep."""
    _check_characters(text)
    _check_flow_depth(text, max_depth)


def _check_characters(text: str) -> None:
    bad = _NOT_PRINTABLE.search(text)
    bom = text.find("\ufeff", 1)
    if bad is None and bom < 0:
        return
    index = min(i for i in (bad.start() if bad else -1, bom) if i >= 0)
    code = ord(text[index])
    kind = "control character" if code < 0x20 or 0x7F <= code < 0xA0 else "character"
    line, column = _position(text, index)
    raise TextError(f"is not valid YAML: {kind} #x{code:04x} is not allowed.", line, column)


def _check_flow_depth(text: str, max_depth: int) -> None:
    """Count ``[`` and ``{`` outside quoted scalars and comments. A bracket inside a plain
    scalar counts too, which can only make a pathological text look deeper than it is."""
    depth = 0
    index = 0
    while True:
        found = _SIGNIFICANT.search(text, index)
        if found is None:
            return
        char, index = found.group(), found.end()
        if char in "[{":
            depth += 1
            if depth > max_depth:
                line, column = _position(text, found.start())
                raise TextError(
                    f"is nested more than {max_depth} levels deep; a config needs a few.",
                    line,
                    column,
                )
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif found.start() == 0 or text[found.start() - 1] in _TOKEN_START:
            index = _skip(text, char, index)


def _skip(text: str, char: str, index: int) -> int:
    """The index after the comment or quoted scalar that ``char`` opened just before ``index``."""
    if char == "#":
        end = text.find("\n", index)
    elif char == "'":
        # '' is a quote inside a single-quoted scalar.
        end = index
        while (end := text.find("'", end)) >= 0 and text.startswith("''", end):
            end += 2
    else:
        found = _DOUBLE_QUOTED_REST.match(text, index)
        end = found.end() - 1 if found else -1
    return len(text) if end < 0 else end + 1


def _position(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1
