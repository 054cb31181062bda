"""The result of a check as plain data: per layer, per quantity, the comparison numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..judge.compare import Comparison

__all__ = [
    "CheckReport",
    "LayerReport",
    "ProgressEvent",
    "QuantityCheck",
    "RunResult",
    "runs_document",
]


def _json_float(value: float) -> float | None:
    # JSON has no inf or NaN; null says "not a number" without breaking strict parsers.
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class ProgressEvent:
    """``completed`` of ``total`` elements (or directions) of one tensor are done."""

    label: str
    completed: int
    total: int


@dataclass(frozen=True)
class QuantityCheck:
    """One row of a layer's table: φ^j, ∇W^j or ∇b^j against its finite differences."""

    layer: int
    quantity: str
    equation: int
    comparison: Comparison
    mode: str = "full"
    kinks: int = 0
    kink_indices: tuple[tuple[int, ...], ...] = ()
    dead: int = 0
    error_estimate: float | None = None
    note: str = ""
    hint: str | None = None
    # The user's functions (--impl) that computed this row; empty when built in.
    sources: tuple[str, ...] = ()
    # Per-element relative errors of a failing tensor (NaN where unchecked), for --heatmap.
    element_errors: np.ndarray | None = field(default=None, repr=False, compare=False)
    # Why the row has no verdict and fails: "overflow" or "NaN" (a loss, difference or analytic
    # value not finite), "kinks" (more than half its elements unjudged, with --kinks fail).
    unresolved: str = ""
    # Elements left without a verdict: on kinks that no one-sided difference could judge.
    unjudged: int = 0

    @property
    def passed(self) -> bool:
        return self.comparison.passed and not self.unresolved

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return {
            "quantity": self.quantity,
            "equation": self.equation,
            "shape": list(c.shape),
            "max_abs_error": _json_float(c.max_abs_error),
            "max_rel_error": _json_float(c.max_rel_error),
            "rel_norm_error": _json_float(c.rel_norm_error),
            "worst_index": list(c.worst_index),
            "worst_analytic": _json_float(c.worst_analytic),
            "worst_numeric": _json_float(c.worst_numeric),
            "elements": int(np.prod(c.shape)),
            "mode": self.mode,
            "checked": c.checked,
            "kinks": self.kinks,
            "kink_indices": [list(index) for index in self.kink_indices],
            "dead": self.dead,
            "error_estimate": None
            if self.error_estimate is None
            else _json_float(self.error_estimate),
            "note": self.note,
            "hint": self.hint,
            "from": list(self.sources),
            "failed": c.failed,
            "passed": self.passed,
            "unresolved": self.unresolved or None,
            "unjudged": self.unjudged,
        }


@dataclass(frozen=True)
class LayerReport:
    """All checks of one layer."""

    layer: int
    units: int
    activation: str
    checks: tuple[QuantityCheck, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "units": self.units,
            "activation": self.activation,
            "passed": self.passed,
            "checks": [check.to_dict() for check in self.checks],
        }


@dataclass(frozen=True)
class CheckReport:
    """Everything a presenter needs; ``arrays`` holds the raw data for ``--save-arrays``."""

    config: str
    input_size: int
    loss: str
    loss_value: float
    method: str
    eps: float
    rtol: float
    atol: float
    seed: int
    batch_size: int
    layers: tuple[LayerReport, ...]
    diagnosis: str
    mode: str = "full"
    mode_count: int | None = None
    dtype: str = "float64"
    kink_policy: str = "report"
    config_sha256: str = ""
    data_sha256: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    impl: str | None = None
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return all(layer.passed for layer in self.layers)

    @property
    def checks(self) -> tuple[QuantityCheck, ...]:
        return tuple(check for layer in self.layers for check in layer.checks)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``bpcheck run --format json``."""
        return {
            "passed": self.passed,
            "config": self.config,
            "loss": self.loss,
            "loss_value": _json_float(self.loss_value),
            "method": self.method,
            "eps": self.eps,
            "rtol": self.rtol,
            "atol": self.atol,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "dtype": self.dtype,
            "kinks": self.kink_policy,
            "config_sha256": self.config_sha256,
            "data_sha256": self.data_sha256,
            "versions": dict(self.versions),
            "mode": self.mode,
            "sample": self.mode_count if self.mode == "sample" else None,
            "directions": self.mode_count if self.mode == "directions" else None,
            "diagnosis": self.diagnosis,
            "warnings": list(self.warnings),
            "impl": self.impl,
            "layers": [layer.to_dict() for layer in self.layers],
        }


@dataclass(frozen=True)
class RunResult:
    """One config of a multi-config run: its report, or why it could not be checked."""

    config: str
    report: CheckReport | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        """'passed', 'failed' or 'invalid' (the config or its data could not be used)."""
        if self.report is None:
            return "invalid"
        return "passed" if self.report.passed else "failed"

    def to_dict(self) -> dict[str, Any]:
        if self.report is not None:
            return self.report.to_dict()
        return {"passed": False, "config": self.config, "error": self.error}


def runs_document(results: list[RunResult], *, several: bool | None = None) -> dict[str, Any]:
    """One config: its own document. Several: {"passed": all passed, "runs": [each document]}.

    ``several`` says whether several configs were asked for, when --fail-fast ran fewer.
    """
    if not (len(results) > 1 if several is None else several):
        return results[0].to_dict()
    return {
        "passed": all(result.status == "passed" for result in results),
        "runs": [result.to_dict() for result in results],
    }
