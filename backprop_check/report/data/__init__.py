"""Report data: what a check, a sweep, the selftest and explain found, as plain frozen data.

Nothing here renders; the formats and the presenter read these types and nothing else.
"""

from __future__ import annotations

from .check import (
    CheckReport,
    Comparison,
    FirstFailure,
    ForwardCheck,
    LayerReport,
    ProgressEvent,
    QuantityCheck,
    RunResult,
    json_number,
)

__all__ = [
    "CheckReport",
    "Comparison",
    "FirstFailure",
    "ForwardCheck",
    "LayerReport",
    "ProgressEvent",
    "QuantityCheck",
    "RunResult",
    "json_number",
]
