"""The report formats by name: what ``--format`` offers, the same names in every command.

Kept apart from the formats themselves so that the command line reads it without loading numpy.
"""

from __future__ import annotations

__all__ = ["FORMATS"]

# Name → what it is, as `--help` says it.
FORMATS = {
    "text": "the report as the terminal shows it (written without colour)",
    "json": "one JSON document",
    "junit": "JUnit XML for CI test reporters",
    "markdown": "Markdown for pull-request comments and CI summaries",
    "html": "one self-contained HTML page with heatmaps (a CI artifact)",
}
