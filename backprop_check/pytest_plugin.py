"""pytest plugin: `pytest --bpcheck configs/` checks every config as a test item.

Registered through the ``pytest11`` entry point, so installing backprop_check is enough. Given
``--bpcheck`` and no test paths, pytest collects the configs only (the project's own suite is left
alone, unless ``--bpcheck-with-tests``); with test paths, both. Each config is one item,
``CONFIG::gradients``; a failing item shows the report as plain text, an unusable config its
one-paragraph error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["BpcheckFile", "BpcheckItem"]

_CONFIGS = pytest.StashKey[frozenset[Path]]()


class GradientMismatchError(Exception):
    """Raised by an item whose gradients disagree; its message is the report as text."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bpcheck", "gradient checks of MLP configs (backprop_check)")
    group.addoption(
        "--bpcheck",
        action="append",
        default=[],
        metavar="PATH",
        help="check every config in PATH (a YAML file, a folder of them or a glob); repeatable. "
        "Without test paths, only the configs are collected",
    )
    group.addoption(
        "--bpcheck-impl",
        default=None,
        metavar="FILE",
        help="a Python file of your own equations to check instead of the built-in ones",
    )
    group.addoption(
        "--bpcheck-with-tests",
        action="store_true",
        default=False,
        help="with --bpcheck, collect the project's tests (testpaths or the current folder) too",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bpcheck: a gradient check of a config (--bpcheck)")
    sources = config.getoption("bpcheck")
    if not sources:
        return
    from .errors import BackpropCheckError
    from .spec.runs import collect_configs

    try:
        paths = collect_configs(sources)
    except BackpropCheckError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[_CONFIGS] = frozenset(path.resolve() for path in paths)
    if _tests_asked_for(config):
        config.args = [*config.args, *(str(path) for path in paths)]
    else:
        config.args = [str(path) for path in paths]


def _tests_asked_for(config: pytest.Config) -> bool:
    """Test paths on the command line, or --bpcheck-with-tests."""
    if config.getoption("bpcheck_with_tests"):
        return True
    source = getattr(config, "args_source", None)
    return source is not None and source == pytest.Config.ArgsSource.ARGS


def pytest_report_header(config: pytest.Config) -> str | None:
    configs = config.stash.get(_CONFIGS, None)
    if configs is None:
        return None
    count = f"{len(configs)} config{'s' if len(configs) != 1 else ''}"
    if _tests_asked_for(config):
        return f"bpcheck: {count} collected from --bpcheck, beside the tests asked for"
    return (
        f"bpcheck: {count} collected from --bpcheck; the project's tests are left out "
        "(--bpcheck-with-tests adds them)"
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    configs = parent.config.stash.get(_CONFIGS, None)
    if configs is not None and file_path.resolve() in configs:
        return BpcheckFile.from_parent(parent, path=file_path, nodeid=_node_id(file_path, parent))
    return None


def _node_id(path: Path, parent: pytest.Collector) -> str:
    """The config's path as the user would type it: relative to where pytest was started, when
    inside it (pytest's own ids are relative to the rootdir, and empty outside it)."""
    start = parent.config.invocation_params.dir
    try:
        return str(path.resolve().relative_to(start.resolve()))
    except ValueError:
        return str(path)


class BpcheckFile(pytest.File):
    """A config file: one item, its gradient check."""

    def collect(self) -> Iterator[pytest.Item]:
        yield BpcheckItem.from_parent(
            self,
            name="gradients",
            config_path=self.path,
            impl=self.config.getoption("bpcheck_impl"),
        )


class BpcheckItem(pytest.Item):
    """One config, checked like `bpcheck run CONFIG`."""

    def __init__(self, *, config_path: Path, impl: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config_path = config_path
        self.impl = impl
        self.add_marker("bpcheck")

    def runtest(self) -> None:
        from .judge.api import check
        from .report.formats.text import plain_text

        report = check(self.config_path, impl=self.impl)
        if not report.passed:
            raise GradientMismatchError(plain_text(report))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from .errors import BackpropCheckError

        if isinstance(excinfo.value, (GradientMismatchError, BackpropCheckError)):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.config_path, None, f"bpcheck {self.config_path}"
