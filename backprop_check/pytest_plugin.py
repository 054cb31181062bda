"""pytest plugin: `pytest --bpcheck configs/` checks every config as a test item.

Registered through the ``pytest11`` entry point, so installing backprop_check is enough. Each
config becomes one item named after its file; a failing item shows the plain-text table and the
diagnosis, an unusable config shows its one-paragraph error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

__all__ = ["BpcheckItem"]


class GradientMismatchError(Exception):
    """Raised by an item whose gradients disagree; its message is the report as text."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bpcheck", "gradient checks of MLP configs (backprop_check)")
    group.addoption(
        "--bpcheck",
        action="append",
        default=[],
        metavar="PATH",
        help="check every config in PATH (a YAML file, a folder of them or a glob); repeatable",
    )
    group.addoption(
        "--bpcheck-impl",
        default=None,
        metavar="FILE",
        help="a Python file of your own equations to check instead of the built-in ones",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bpcheck: a gradient check of a config (--bpcheck)")


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    sources = config.getoption("bpcheck")
    if not sources:
        return
    from .errors import BackpropCheckError
    from .spec.runs import collect_configs

    try:
        paths = collect_configs(sources)
    except BackpropCheckError as error:
        raise pytest.UsageError(str(error)) from None
    impl = config.getoption("bpcheck_impl")
    for path in paths:
        items.append(
            BpcheckItem.from_parent(
                session, name=path.name, nodeid=str(path), config_path=path, impl=impl
            )
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
