"""Domain errors. The library raises these; the CLI turns them into one-paragraph messages.

Every error carries a key path: what in the user's input to blame, ``("layers", 0, "units")``
for a config key, ``("eps",)`` for an option of a call (``from_option``), ``()`` for a whole file.
The config reader adds the file, line and column once, turning any of them into a
:class:`ConfigError` (see ``backprop_check.spec.config``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = [
    "BackpropCheckError",
    "ConfigError",
    "DataError",
    "KeyPath",
    "NotARegularFileError",
    "Option",
    "WrongDerivativeError",
    "file_problem",
    "format_key_path",
    "quote_input",
]

KeyPath = tuple[str | int, ...]

# The most of the user's own text an error quotes: enough to recognise it, never a flood.
_QUOTED = 60


class Option(str):
    """An option's key inside a message, named by whoever shows the message (``--sample`` on
    the command line, ``sample`` in Python)."""

    __slots__ = ()


class BackpropCheckError(Exception):
    """Anything the user can fix: bad config, bad data, bad options. Exit status 2.

    ``message`` is one sentence or several, without the location; it may be given as parts, in
    which :class:`Option` parts are named by :meth:`with_option_names`. ``at_key`` says the
    problem is the key itself (an unknown or repeated key), not its value.
    """

    # A wrong gradient found before any check ran (a formula's df that is not the derivative of
    # its f): reported like any failing gradient, exit status 1, not 2.
    wrong_gradient = False

    def __init__(
        self,
        message: str | Sequence[str],
        *,
        key_path: KeyPath = (),
        at_key: bool = False,
        from_option: bool = False,
    ) -> None:
        self._parts = (message,) if isinstance(message, str) else tuple(message)
        self.key_path = key_path
        self.at_key = at_key
        self.from_option = from_option
        self._option_name: Callable[[str], str] = str
        super().__init__(self._format())

    @property
    def message(self) -> str:
        """The message without the location, options named as :meth:`with_option_names` says."""
        return "".join(
            self._option_name(part) if isinstance(part, Option) else part for part in self._parts
        )

    @property
    def parts(self) -> tuple[str, ...]:
        return self._parts

    def with_option_names(self, name: Callable[[str], str]) -> BackpropCheckError:
        """A copy that names each option key as ``name(key)`` does (eps → --eps)."""
        # Not copy.copy: that rebuilds the exception from its args, which hold the text only.
        renamed = type(self).__new__(type(self))
        renamed.__dict__.update(self.__dict__)
        renamed._option_name = name
        renamed.args = (renamed._format(),)
        return renamed

    def _format(self) -> str:
        return _one_line(self.message)

    def __str__(self) -> str:
        return self._format()


class WrongDerivativeError(BackpropCheckError):
    """A formula's derivative that is not the derivative of its formula: a wrong gradient."""

    wrong_gradient = True


class ConfigError(BackpropCheckError):
    """A problem located by source (file, or "command line"), key path, line and column."""

    def __init__(
        self,
        message: str | Sequence[str],
        *,
        source: str,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
        key_path: KeyPath = (),
        at_key: bool = False,
        from_option: bool = False,
    ) -> None:
        self.source = source
        self._key = key if key is not None else (format_key_path(key_path) or None)
        self.line = line
        self.column = column
        super().__init__(message, key_path=key_path, at_key=at_key, from_option=from_option)

    @property
    def key(self) -> str | None:
        """The key path as text (``layers[0].units``), or the option's name."""
        if self._key is not None and self.from_option:
            return self._option_name(self._key)
        return self._key

    def _format(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        if self.key:
            where += f", {'option' if self.from_option else 'key'} '{self.key}'"
        return _one_line(f"{where}: {self.message}")


class DataError(BackpropCheckError):
    """A problem with a data file named in a config's ``data:``; its key path starts there."""

    def __init__(self, message: str | Sequence[str], key_path: KeyPath = ("data", "path")) -> None:
        super().__init__(message, key_path=key_path)


def format_key_path(path: KeyPath) -> str:
    """``("layers", 0, "units")`` → ``layers[0].units``; long keys are shortened."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = quote_input(part)
            text += f".{name}" if text else name
    return text


def quote_input(text: str, limit: int = _QUOTED) -> str:
    """The user's ``text`` as a message may quote it: at most ``limit`` characters, then '…'."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class NotARegularFileError(OSError):
    """A path that names a pipe, a device or a socket: reading it could block or never end.

    ``kind`` says what it is ("a named pipe (FIFO)").
    """

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(f"{path} is {kind}")
        self.kind = kind


def file_problem(error: OSError, *, doing: str = "read") -> str:
    """What an OS error says about a file, as words to follow its name: 'not found',
    'is a directory', 'is a named pipe (FIFO), not a regular file',
    'cannot be read (permission denied)'."""
    if isinstance(error, FileNotFoundError):
        return "not found"
    if isinstance(error, IsADirectoryError):
        return "is a directory"
    if isinstance(error, NotARegularFileError):
        return f"is {error.kind}, not a regular file"
    if error.strerror:
        # "Permission denied" reads as part of our sentence: "(permission denied)".
        reason = error.strerror[:1].lower() + error.strerror[1:]
    else:
        reason = str(error) or type(error).__name__
    return f"cannot be {doing} ({reason})"


def _one_line(text: str) -> str:
    """Control characters (a newline in a key, a NUL) written as escapes: one paragraph, always."""
    return "".join(char if char.isprintable() or char == " " else repr(char)[1:-1] for char in text)
