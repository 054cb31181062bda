"""A formula's text: parsing it within bounds, and pointing at a part of it in a message.

Nothing the user writes is ever handed to ``eval``, ``exec`` or ``compile``: the text is only
parsed (``ast.parse(..., mode="eval")``), after its length and bracket depth are checked, and the
tree's size and depth are checked before anything is built from it.
"""

from __future__ import annotations

import ast
import warnings

from ...errors import quote_input

__all__ = ["MAX_DEPTH", "MAX_EXPONENT", "MAX_LENGTH", "MAX_NODES", "ExpressionError", "FormulaText"]

MAX_LENGTH = 1000
MAX_NODES = 200
MAX_DEPTH = 32
MAX_EXPONENT = 8.0
# The most of a formula a message quotes.
_SHORT = 60


class ExpressionError(ValueError):
    """A refused or malformed expression.

    ``message`` is one sentence; ``fragment`` is the offending part of the text as the user wrote
    it; ``column`` is its 1-based position in the text, where known.
    """

    def __init__(self, message: str, *, fragment: str, column: int | None = None) -> None:
        self.message = message
        self.fragment = fragment
        self.column = column
        super().__init__(message)


class FormulaText:
    """One formula's text: its parse tree within the limits, and messages that quote it."""

    def __init__(self, text: str, variables: tuple[str, ...]) -> None:
        self.text = text
        self.variables = variables
        # Parse the stripped text with line breaks as spaces: multi-line YAML strings then
        # parse, messages stay on one line, and a character's index in ``body`` plus ``lead``
        # is its index in ``text``. Fragments are quoted from ``body``.
        self.lead = len(text) - len(text.lstrip())
        self.body = "".join(" " if c in "\r\n\t\f\v" else c for c in text.strip())
        self.body_bytes = self.body.encode("utf-8")

    # -- messages

    @property
    def short(self) -> str:
        body = self.body
        return body if len(body) <= _SHORT else body[: _SHORT - 1] + "…"

    def quote(self, fragment: str) -> str:
        """A part of the text as a message quotes it: at most as long as :attr:`short`."""
        return quote_input(fragment, _SHORT)

    def where(self, fragment: str) -> str:
        """`` in '<text>'`` unless the fragment is the whole text."""
        return "" if fragment in (self.body, self.short) else f" in '{self.short}'"

    def error(self, message: str, fragment: str, start: int | None) -> ExpressionError:
        column = None if start is None else self.lead + start + 1
        return ExpressionError(message, fragment=fragment, column=column)

    def whole(self, message: str) -> ExpressionError:
        """An error about the whole expression (its size or nesting)."""
        fragment = self.short.removesuffix("…")
        return ExpressionError(message, fragment=fragment, column=self.lead + 1)

    def char(self, byte_offset: int) -> int:
        return len(self.body_bytes[:byte_offset].decode("utf-8", errors="ignore"))

    def span(self, node: ast.expr | ast.keyword) -> tuple[int, int]:
        """Start and end character index of ``node`` in ``body``."""
        # ast positions count UTF-8 bytes; messages and columns count characters.
        return self.char(node.col_offset), self.char(node.end_col_offset or node.col_offset)

    def segment(self, node: ast.expr | ast.keyword) -> tuple[str, int]:
        """The node's text as the user wrote it (line breaks as spaces, quoted short), and its
        start."""
        start, end = self.span(node)
        return self.quote(self.body[start:end]), start

    def between(self, left: ast.expr, right: ast.expr) -> tuple[str, int]:
        """The operator written between two nodes (spaces and parentheses dropped)."""
        start, end = self.span(left)[1], self.span(right)[0]
        gap = self.body[start:end]
        operator = gap.strip(" ()")
        return self.quote(operator), start + gap.index(operator) if operator else start

    def refuse(self, node: ast.expr | ast.keyword, what: str, advice: str = "") -> ExpressionError:
        fragment, start = self.segment(node)
        return self.error(
            f"{what} '{fragment}'{self.where(fragment)} is not allowed{advice}.", fragment, start
        )

    # -- parsing and limits

    def tree(self) -> ast.Expression:
        """The parse tree, refused when it is malformed, too large or too deep."""
        tree = self.parse()
        self.check_size(tree)
        return tree

    def parse(self) -> ast.Expression:
        if not self.body:
            raise ExpressionError(
                f"empty expression; write a formula in {', '.join(self.variables) or 'numbers'}.",
                fragment="",
            )
        if "#" in self.body:
            start = self.body.index("#")
            raise self.error(
                f"'#' in '{self.short}' is not allowed; formulas have no comments.", "#", start
            )
        self.check_brackets()
        try:
            with warnings.catch_warnings():
                # The parser warns about e.g. "1if x else 2"; pytest would turn that into an error.
                warnings.simplefilter("ignore")
                return ast.parse(self.body, mode="eval")
        except SyntaxError as error:
            raise self.malformed(error) from None
        except (RecursionError, MemoryError):
            raise self.whole(
                f"expression '{self.short}' is nested too deeply (the limit is {MAX_DEPTH} levels)."
            ) from None
        except ValueError as error:  # e.g. null bytes on older Pythons
            raise self.whole(f"malformed expression '{self.short}': {error}.") from None

    def check_brackets(self) -> None:
        # Python's own limit is 200 brackets, and its message speaks of parentheses in code.
        depth = 0
        for index, c in enumerate(self.body):
            depth += (c in "([{") - (c in ")]}")
            if depth > MAX_DEPTH:
                raise self.error(
                    f"expression '{self.short}' is nested too deeply "
                    f"(more than {MAX_DEPTH} levels of brackets).",
                    self.short.removesuffix("…"),
                    index,
                )

    def malformed(self, error: SyntaxError) -> ExpressionError:
        # Python's reasons can run on ("invalid syntax. Perhaps you forgot a comma?"), with
        # hints meant for code; the first sentence is the useful part.
        reason = (error.msg or "invalid syntax").split(". ")[0].rstrip(".")
        start = (error.offset or 0) - 1
        if error.lineno in (None, 1) and 0 <= start < len(self.body):
            end = (error.end_offset or 0) - 1
            if error.end_lineno not in (None, 1) or not start < end <= len(self.body):
                end = start + 1
            place = f"at column {self.lead + start + 1}"
        else:
            end = len(self.body)
            start = max(0, end - 10)
            place = "at the end"
        fragment = self.quote(self.body[start:end])
        return self.error(
            f"malformed expression '{self.short}': {reason} {place} ('{fragment}').",
            fragment,
            start,
        )

    def check_size(self, tree: ast.Expression) -> None:
        # Iterative, so a pathological tree cannot exhaust Python's stack before it is refused.
        nodes = 0
        deepest = 0
        stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
        while stack:
            node, depth = stack.pop()
            if isinstance(node, ast.expr):
                nodes += 1
                deepest = max(deepest, depth)
                depth += 1
            stack.extend((child, depth) for child in ast.iter_child_nodes(node))
        if nodes > MAX_NODES:
            raise self.whole(
                f"expression '{self.short}' is too large ({nodes} parts; the limit is {MAX_NODES})."
            )
        if deepest > MAX_DEPTH:
            raise self.whole(
                f"expression '{self.short}' is nested too deeply "
                f"({deepest} levels; the limit is {MAX_DEPTH})."
            )
