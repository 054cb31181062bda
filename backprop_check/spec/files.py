"""Opening the user's input files: regular files only, and never more read than asked for.

A FIFO, a device (``/dev/zero``), a socket or a directory is refused from ``os.stat`` before
anything is read; the file is opened non-blocking and checked again through its descriptor, so a
pipe swapped in between can neither block nor feed bytes without end.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from ..errors import NotARegularFileError

__all__ = ["open_regular", "read_regular", "shown_path"]

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for binary reading; an OSError (FileNotFoundError, IsADirectoryError,
    NotARegularFileError, PermissionError, ...) if it is not a regular file one can read."""
    _check_regular(os.stat(path).st_mode, path)
    # O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait
    # for a writer; the fstat below then refuses it.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        _check_regular(os.fstat(descriptor).st_mode, path)
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular(path: Path, *, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of the regular file ``path`` (one more says it is longer)."""
    with open_regular(path) as handle:
        return handle.read(limit + 1)


def _check_regular(mode: int, path: Path) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
    kind = next((kind for test, kind in _KINDS if test(mode)), "not a file")
    raise NotARegularFileError(str(path), kind)


def shown_path(path: Path, limit: int = 120) -> str:
    """A path as a message shows it: its end (the file name) when it is long."""
    text = str(path)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]
