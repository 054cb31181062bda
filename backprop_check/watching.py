"""Re-running something whenever one of a few files is saved: plain polling, no dependencies."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["watch_files"]


def _stamps(paths: Sequence[Path]) -> tuple[tuple[float, int] | None, ...]:
    """Modification time and size of each file (None while a file is missing, mid-save)."""
    stamps = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            stamps.append(None)
        else:
            stamps.append((stat.st_mtime, stat.st_size))
    return tuple(stamps)


def watch_files(
    paths: Sequence[Path],
    on_change: Callable[[], None],
    *,
    interval: float = 0.5,
    runs: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Call ``on_change`` now and after every save of any of ``paths``; return the number of runs.

    ``runs`` stops after that many calls (None: until interrupted). Editors often save by writing
    a new file and renaming it, so a file briefly missing is waited for, not reported.
    """
    count = 0
    seen = None
    while runs is None or count < runs:
        stamps = _stamps(paths)
        if stamps != seen and None not in stamps:
            seen = stamps
            on_change()
            count += 1
            continue
        sleep(interval)
    return count
