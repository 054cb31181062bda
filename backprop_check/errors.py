"""Domain errors. The library raises these; the CLI turns them into one-paragraph messages."""

from __future__ import annotations

__all__ = ["BackpropCheckError", "ConfigError"]


class BackpropCheckError(Exception):
    """Anything the user can fix: bad config, bad data, bad options. Exit status 2."""


class ConfigError(BackpropCheckError):
    """A configuration problem, located by file, key path and (where known) line and column."""

    def __init__(
        self,
        message: str,
        *,
        source: str,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.key = key
        self.line = line
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        if self.key:
            noun = "option" if self.key.startswith("--") else "key"
            where += f", {noun} '{self.key}'"
        return _one_line(f"{where}: {self.message}")


def _one_line(text: str) -> str:
    """Control characters (a newline in a key, a NUL) written as escapes: one paragraph, always."""
    return "".join(char if char.isprintable() or char == " " else repr(char)[1:-1] for char in text)
