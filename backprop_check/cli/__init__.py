"""The `bpcheck` command: parse options, call the library, render, choose the exit status.

Exit status (``Status``): 0 every gradient agreed, 1 some gradient disagreed, 2 bad usage,
config, data or code, 130 interrupted.
"""

from __future__ import annotations

from . import commands, run  # noqa: F401  (importing them adds their commands to `main`)
from .app import Status, main

__all__ = ["Status", "main"]
