"""JSON: the documents are the report types' ``to_dict``; this module puts runs together and
writes the text, the same way for every command."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..data import RunResult

__all__ = ["json_text", "runs_document"]


def runs_document(results: Sequence[RunResult], *, several: bool | None = None) -> dict[str, Any]:
    """One config: its own document. Several: {"passed": all passed, "runs": [each document]}.

    ``several`` says whether several configs were asked for, when --fail-fast ran fewer.
    """
    if not (len(results) > 1 if several is None else several):
        return results[0].to_dict()
    return {
        "passed": all(result.status == "passed" for result in results),
        "runs": [result.to_dict() for result in results],
    }


def json_text(document: dict[str, Any]) -> str:
    """Indented, UTF-8 as written (φ, not \\u03c6), one trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
