"""Where the finite differences' chunks run: worker threads, or the caller's own thread.

One job needs no thread: :class:`InThisThread` runs each chunk where its result is asked for,
and a one-thread check leaves concurrent.futures (and the logging it loads) unimported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["InThisThread", "worker_pool"]

_Result = TypeVar("_Result")


class InThisThread:
    """The part of an ``Executor`` a check uses (``map``, ``with``), for one job: each task runs
    in the calling thread when its result is reached, in order; a task's exception is raised
    there, as ``Executor.map`` raises it."""

    def __enter__(self) -> InThisThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def map(self, fn: Callable[..., _Result], *iterables: Iterable[Any]) -> Iterator[_Result]:
        return map(fn, *iterables)


def worker_pool(jobs: int) -> Executor | InThisThread:
    """``jobs`` worker threads, or the calling thread alone for one job."""
    if jobs == 1:
        return InThisThread()
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(jobs)
