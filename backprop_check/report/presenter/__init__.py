"""The rich terminal presenter: one view module per report type, one :class:`Presenter` that
writes them. The only place rich is imported."""

from __future__ import annotations

from .console import Presenter

__all__ = ["Presenter"]
