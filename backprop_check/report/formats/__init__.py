"""Reports as text for machines and files, without rich: JSON, JUnit XML, Markdown, plain text."""

from __future__ import annotations

from .json_document import json_text, runs_document
from .junit import to_junit
from .markdown import to_markdown
from .text import plain_text

__all__ = ["json_text", "plain_text", "runs_document", "to_junit", "to_markdown"]
