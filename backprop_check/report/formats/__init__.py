"""Reports as text for machines and files, without rich: JSON, JUnit XML, Markdown, HTML and
plain text, each laid out from the report data alone.

Names are imported on first use, so that the command line can read :mod:`.names` without numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "FORMATS": "names",
    "json_text": "json_document",
    "plain_text": "text",
    "run_document": "documents",
    "runs_document": "json_document",
    "selftest_document": "documents",
    "sweep_document": "documents",
    "to_junit": "junit",
    "to_markdown": "markdown",
}

__all__ = [
    "FORMATS",
    "json_text",
    "plain_text",
    "run_document",
    "runs_document",
    "selftest_document",
    "sweep_document",
    "to_junit",
    "to_markdown",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from .documents import run_document, selftest_document, sweep_document
    from .json_document import json_text, runs_document
    from .junit import to_junit
    from .markdown import to_markdown
    from .names import FORMATS
    from .text import plain_text
