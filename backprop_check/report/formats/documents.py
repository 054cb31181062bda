"""Every report in every format, by name: what ``--format`` means, the same in every command.

text is the terminal's layout without colour, at the full width; json, junit, markdown and html are
for machines, CI pages and artifacts. The names are :data:`.names.FORMATS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .json_document import json_text, runs_document
from .names import FORMATS

if TYPE_CHECKING:
    from ..data import RunResult
    from ..data.selftest import SelftestReport
    from ..data.sweep import SweepReport

__all__ = ["FORMATS", "run_document", "selftest_document", "sweep_document"]


def run_document(
    results: Sequence[RunResult], output_format: str, *, several: bool, heatmap: bool = False
) -> str:
    """A run over one config or several in ``output_format``."""
    # Each format is imported when asked for: JSON alone keeps the command line's start lean.
    if output_format == "json":
        return json_text(runs_document(results, several=several))
    if output_format == "junit":
        from .junit import to_junit

        return to_junit(results)
    if output_format == "markdown":
        from .markdown import to_markdown

        return to_markdown(results)
    if output_format == "html":
        from .html import check_html

        return check_html(results)
    return _run_text(results, several=several, heatmap=heatmap)


def _run_text(results: Sequence[RunResult], *, several: bool, heatmap: bool) -> str:
    from .check_lines import FULL_WIDTH, check_lines
    from .heat import heatmap_lines
    from .layout import Line, lines_text
    from .summary import summary_lines

    blocks: list[list[Line]] = [
        check_lines(result.report, width=FULL_WIDTH)
        + (heatmap_lines(result.report, width=FULL_WIDTH) if heatmap else [])
        for result in results
        if result.report is not None
    ]
    if several or any(result.report is None for result in results):
        blocks.append(summary_lines(results, width=FULL_WIDTH))
    lines: list[Line] = []
    for block in blocks:
        lines += [(), *block] if lines else block
    return lines_text(lines)


def sweep_document(report: SweepReport, output_format: str, *, seconds: float | None = None) -> str:
    from .check_lines import FULL_WIDTH
    from .html import sweep_html
    from .junit import sweep_junit
    from .layout import lines_text
    from .markdown import sweep_markdown
    from .sweep_lines import sweep_lines

    return _document(
        report,
        output_format,
        text=lambda: lines_text(sweep_lines(report, width=FULL_WIDTH)),
        junit=lambda: sweep_junit(report, seconds=seconds),
        markdown=lambda: sweep_markdown(report),
        html=lambda: sweep_html(report),
    )


def selftest_document(
    report: SelftestReport, output_format: str, *, seconds: float | None = None
) -> str:
    from .check_lines import FULL_WIDTH
    from .html import selftest_html
    from .junit import selftest_junit
    from .layout import lines_text
    from .markdown import selftest_markdown
    from .selftest_lines import selftest_lines

    return _document(
        report,
        output_format,
        text=lambda: lines_text(selftest_lines(report, width=FULL_WIDTH)),
        junit=lambda: selftest_junit(report, seconds=seconds),
        markdown=lambda: selftest_markdown(report),
        html=lambda: selftest_html(report),
    )


def _document(report: Any, output_format: str, **renderers: Any) -> str:
    if output_format == "json":
        return json_text(report.to_dict())
    if output_format not in renderers:
        raise ValueError(f"unknown format {output_format!r}; expected one of {', '.join(FORMATS)}")
    return renderers[output_format]()
