"""Running a user's code: importing their file, calling into it, and saying where it went wrong.

While the file loads and during every call into it, its folder is importable ahead of everything
(the code beside it imports as it would when run there) and the working directory behind
everything (a scratch ``random.py`` where bpcheck was started must not stand in for the standard
library's and fail correct code), whatever it prints goes to stderr (stdout carries the report),
and afterwards sys.path is restored and the modules it imported from those folders are
forgotten, so that two configs whose folders each ship a ``network.py`` get their own.
An error is attributed to the file and line where it happened.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import BackpropCheckError

__all__ = [
    "HookError",
    "UserContext",
    "check_arity",
    "describe_exception",
    "describe_exit",
    "import_file",
    "namespace_of",
    "shown",
]


class HookError(BackpropCheckError):
    """The user's code failed, or returned something unusable: exit 2, naming file and line."""


# Code that is never the user's, however it is reached: this package and the installation's.
_NOT_USERS = tuple(
    {
        str(Path(__file__).resolve().parents[1]),
        str(Path(sys.prefix).resolve()),
        str(Path(sys.base_prefix).resolve()),
    }
)
# One user call at a time: sys.path, sys.stdout and sys.modules are the whole process's.
_CALLS = threading.RLock()


@dataclass(frozen=True)
class UserContext:
    """Where a user's code lives: its file (None for functions handed over in Python), the
    folders importable before everything else while it runs, and those importable after."""

    path: Path | None
    folders: tuple[Path, ...] = ()
    last_folders: tuple[Path, ...] = ()
    _depth: list[int] = field(default_factory=lambda: [0], compare=False, repr=False)

    @classmethod
    def for_file(cls, path: Path) -> UserContext:
        """The file's folder first, as for ``python file.py``; the working directory last."""
        folder, working = path.resolve().parent, Path.cwd().resolve()
        last = () if working == folder else (working,)
        return cls(path=path, folders=(folder,), last_folders=last)

    @property
    def name(self) -> str:
        """How messages name the code: its file, or 'your functions'."""
        return str(self.path) if self.path is not None else "your functions"

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """User code runs inside: its folders importable, its prints on stderr; undone after."""
        with _CALLS:
            if self._depth[0]:  # a call inside a call (a loss inside backward): already set up
                yield
                return
            self._depth[0] += 1
            first = [str(f) for f in self.folders if str(f) not in sys.path]
            last = [str(f) for f in self.last_folders if str(f) not in sys.path]
            added = first + last
            before = set(sys.modules)
            sys.path[:0] = first
            sys.path.extend(last)
            try:
                with contextlib.redirect_stdout(sys.stderr):
                    yield
            finally:
                for folder in added:
                    with contextlib.suppress(ValueError):
                        sys.path.remove(folder)
                self._forget(set(sys.modules) - before)
                self._depth[0] -= 1

    def _forget(self, names: set[str]) -> None:
        """Drop the modules imported from the user's folders since ``before``."""
        for name in names:
            module = sys.modules.get(name)
            location = getattr(module, "__file__", None)
            if location and self.owns(location):
                del sys.modules[name]

    def owns(self, filename: str) -> bool:
        """Whether a source file is the user's: under their folders, not installed code."""
        try:
            resolved = str(Path(filename).resolve())
        except (OSError, RuntimeError, ValueError):
            return False
        if any(resolved.startswith(root + "/") for root in _NOT_USERS):
            return False
        folders = self.folders + self.last_folders
        return any(resolved.startswith(str(folder) + "/") for folder in folders)

    def call(self, function: Callable[..., Any], *arguments: Any) -> Any:
        """``function(*arguments)`` inside :meth:`active`."""
        with self.active():
            return function(*arguments)


def import_file(context: UserContext) -> ModuleType:
    """Import the user's file in its context; any failure is a one-paragraph error."""
    path = context.path
    assert path is not None, "only a file is imported"
    spec = importlib.util.spec_from_file_location(f"bpcheck_user_{abs(hash(path.resolve()))}", path)
    if spec is None or spec.loader is None:
        raise HookError(f"{path}: cannot be imported as a Python file.")
    module = importlib.util.module_from_spec(spec)
    try:
        with context.active():
            spec.loader.exec_module(module)
    except SyntaxError as error:
        raise HookError(_syntax(error, path)) from None
    except Exception as error:  # whatever the user's module does at import time
        raise HookError(
            f"{path}: importing it raised {describe_exception(error, context)}."
        ) from None
    except (SystemExit, GeneratorExit) as error:  # the file may not end bpcheck; Ctrl-C may
        raise HookError(f"{path}: while being imported, {describe_exit(error, context)}.") from None
    finally:
        sys.modules.pop(spec.name, None)
    return module


def _syntax(error: SyntaxError, path: Path) -> str:
    """'file, line 7: is not valid Python (...)', naming the file the error is in."""
    where = Path(error.filename) if error.filename else path
    text = f"{shown(where)}, line {error.lineno}: is not valid Python ({error.msg})"
    same = error.filename is None or where.resolve() == path.resolve()
    return text + ("." if same else f"; {path} imports it.")


def shown(path: Path) -> str:
    """A path as messages show it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def describe_exception(error: BaseException, context: UserContext) -> str:
    """'ValueError: message (line 12)': the line of the user's code where it happened, with its
    file named when that is not the file bpcheck loaded ('(neural_net.py, line 42)')."""
    text = f"{type(error).__name__}: {error}".rstrip(": ")
    where = _where(error, context)
    return f"{text} ({where})" if where else text


def describe_exit(error: SystemExit | GeneratorExit, context: UserContext) -> str:
    """'your code called sys.exit(0) at line 12', for an exit the user's code tried to make."""
    where = _where(error, context)
    at = f" at {where}" if where else ""
    if isinstance(error, SystemExit):
        return f"your code called sys.exit({error.code!r}){at}, which would end bpcheck"
    return f"your code raised GeneratorExit{at}, which would end bpcheck"


def _where(error: BaseException, context: UserContext) -> str:
    """The innermost frame of the traceback in the user's code, as 'line 7' or 'file, line 7'."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if _is_loaded_file(frame.filename, context) or context.owns(frame.filename)
    ]
    if not frames:
        return ""
    frame = frames[-1]
    if _is_loaded_file(frame.filename, context):
        return f"line {frame.lineno}"
    return f"{shown(Path(frame.filename))}, line {frame.lineno}"


def _is_loaded_file(filename: str, context: UserContext) -> bool:
    if context.path is None:
        return False
    try:
        return Path(filename).resolve() == context.path.resolve()
    except (OSError, RuntimeError, ValueError):
        return False


def namespace_of(source: ModuleType | Mapping[str, Any]) -> dict[str, Any]:
    """The names a loaded module or a dict of functions offers."""
    if isinstance(source, ModuleType):
        return {name: getattr(source, name) for name in dir(source)}
    return dict(source)


def check_arity(owner: str, name: str, signature: str, count: int, function: Any) -> None:
    """``function`` can be called with ``count`` positional arguments, as bpcheck calls it."""
    import inspect

    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if not len(required) <= count <= len(positional):
        plural = "s" if len(positional) != 1 else ""
        raise HookError(
            f"{owner}: {name} takes {len(positional)} argument{plural}; "
            f"bpcheck calls it as {signature}."
        )
