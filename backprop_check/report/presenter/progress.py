"""A progress bar on stderr that appears only for checks that take a while."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ..data import ProgressEvent

__all__ = ["PROGRESS_DELAY", "DelayedProgress"]

# Checks quicker than this (seconds) never show a progress bar.
PROGRESS_DELAY = 1.0


class DelayedProgress:
    """A rich progress display that only starts once the work has lasted a while."""

    def __init__(self, console: Console) -> None:
        self._created = time.monotonic()
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, tuple[TaskID, float]] = {}
        self._live = False

    def update(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        if event.label not in self._tasks:
            task = self._progress.add_task(event.label, total=event.total, rate="")
            self._tasks[event.label] = (task, now)
        task, started = self._tasks[event.label]
        elapsed = now - started
        rate = f"{event.completed / elapsed:,.0f} elements/s" if elapsed > 0.05 else ""
        self._progress.update(task, completed=event.completed, rate=rate)
        if not self._live and now - self._created > PROGRESS_DELAY:
            self._progress.start()
            self._live = True

    def stop(self) -> None:
        if self._live:
            self._progress.stop()
