"""Writing outputs without losing anything: never over an input of the run, and atomically.

Every output (reports, arrays, figures, starter configs, step summaries) is written to a
temporary file in the destination's folder and renamed over the destination only once complete,
so a write that fails or is interrupted part-way leaves the previous file as it was.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import numpy as np

from ..errors import BackpropCheckError
from .data import CheckReport

__all__ = ["append_text", "refuse_inputs", "save_arrays", "write_atomically", "write_text"]

Writer = Callable[[IO[bytes]], object]


def refuse_inputs(path: str | Path, protect: Iterable[str | Path]) -> None:
    """Raise if ``path`` is one of the user's input files, however either is named.

    Symlinks are resolved on both sides; hard links and other aliases are caught by comparing
    the files themselves.
    """
    target = os.path.realpath(path)
    for protected in protect:
        if os.path.realpath(protected) == target or _same_file(path, protected):
            raise BackpropCheckError(
                f"{path}: refusing to write over an input file; choose another path."
            )


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): they cannot be the same file
        return False


def write_atomically(
    path: str | Path,
    write: Writer,
    *,
    what: str,
    protect: Iterable[str | Path] = (),
    follow_symlinks: bool = True,
) -> Path:
    """Write ``path`` through ``write(handle)`` into a temporary file, then rename it into place.

    ``what`` names the file in errors ("the report"). Paths in ``protect`` are never written.
    With ``follow_symlinks`` a symlink at ``path`` is written through (its target replaced);
    without, the link itself is replaced and nothing is created where it points.
    """
    path = Path(path)
    refuse_inputs(path, protect)
    target = Path(os.path.realpath(path)) if follow_symlinks else path
    import secrets  # here: it pulls in hmac and random, which a start without files can skip

    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        # O_EXCL: never through something already at the temporary name, not even a symlink.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _mode(target))
    except OSError as error:
        raise _cannot(path, what, error) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _cannot(path, what, error) from None
        raise
    return path


def _mode(target: Path) -> int:
    """A replaced file keeps its permissions; a new one gets the usual 0o666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666  # os.open applies the umask


def _cannot(path: Path, what: str, error: OSError) -> BackpropCheckError:
    return BackpropCheckError(f"{path}: cannot write {what} ({error.strerror or error}).")


def write_text(
    path: str | Path,
    text: str,
    *,
    what: str = "the report",
    protect: Iterable[str | Path] = (),
    follow_symlinks: bool = True,
) -> Path:
    """``text`` as UTF-8 at ``path``, atomically."""
    data = text.encode("utf-8")
    return write_atomically(
        path, lambda handle: handle.write(data), what=what, protect=protect,
        follow_symlinks=follow_symlinks,
    )  # fmt: skip


def append_text(
    path: str | Path, text: str, *, what: str, protect: Iterable[str | Path] = ()
) -> Path:
    """``text`` added at the end of ``path`` (created if missing), atomically."""
    try:
        previous = Path(path).read_bytes()
    except FileNotFoundError:
        previous = b""
    except OSError as error:
        raise _cannot(Path(path), what, error) from None
    data = previous + text.encode("utf-8")
    return write_atomically(path, lambda handle: handle.write(data), what=what, protect=protect)


def save_arrays(
    report: CheckReport, path: str | Path, *, protect: Iterable[str | Path] = ()
) -> Path:
    """Write x, y, W1…, b1…, dW1…, db1…, nW1…, nb1… to ``path`` exactly (no suffix added).

    Paths in ``protect`` (the config file, data files) are never overwritten.
    """
    return write_atomically(
        path,
        lambda handle: np.savez(handle, **report.arrays),
        what="the arrays file",
        protect=protect,
    )
