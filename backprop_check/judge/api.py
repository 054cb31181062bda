"""The public entry points: check a config (and your code), or assert that its gradients match."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..numeric.engine import DEFAULT_MAX_MEMORY
from ..report.data import CheckReport, ProgressEvent
from ..spec.config import Config, load_config
from .checker import Checker

if TYPE_CHECKING:
    from .hooks import UserCode
    from .user_code import UserCodeSource

__all__ = ["assert_gradients_match", "check"]

ProgressCallback = Callable[[ProgressEvent], None]


def check(
    config: Config | str | Path | Mapping[str, Any],
    *,
    impl: UserCodeSource | UserCode | None = None,
    progress: ProgressCallback | None = None,
    max_memory: int = DEFAULT_MAX_MEMORY,
    jobs: int | None = None,
    **overrides: Any,
) -> CheckReport:
    """Check the gradients of the network ``config`` describes (a path, a mapping or a Config).

    ``impl`` is your own code: a Python file (it overrides the config's ``impl.file``), a loaded
    module or a dict of functions by name, checked in the conventions of the config's ``impl:``
    block (see :mod:`backprop_check.judge.hooks` for the per-step functions). Without it, the
    config's own ``impl:`` block names the file, if it has one. Keyword overrides are those of
    the command line: eps, rtol, atol, ``seed``, batch_size, method, dtype, kinks, sample,
    directions. Ctrl-C raises :class:`CheckInterrupted`.
    """
    if not isinstance(config, Config):
        config = load_config(config)
    user_code = None
    if impl is not None or config.impl is not None:  # the loader only where there is user code
        from .user_code import user_code_for

        user_code = user_code_for(config, impl)
    checker = Checker(
        config.with_overrides(**overrides), max_memory=max_memory, jobs=jobs, user_code=user_code
    )
    return checker.run(progress=progress)


def assert_gradients_match(
    config: Config | str | Path | Mapping[str, Any],
    *,
    impl: UserCodeSource | UserCode | None = None,
    **overrides: Any,
) -> CheckReport:
    """Check, and raise AssertionError with the tables as plain text when a gradient disagrees.

    For test suites: ``assert_gradients_match("configs/net.yaml", impl="my_backprop.py")``.
    """
    report = check(config, impl=impl, **overrides)
    if not report.passed:
        from ..report.formats.text import plain_text

        raise AssertionError(plain_text(report))
    return report
