"""The result of a check as plain data: per layer, per quantity, the comparison numbers.

``to_dict`` of each type is its JSON document (``bpcheck run --format json``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # .coverage is imported by CheckReport.coverage: a full check has none
    from .coverage import Coverage

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


def json_number(value: float) -> float | None:
    """``value``, or None where JSON has no number (inf, NaN): null breaks no strict parser."""
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Comparison:
    """Summary of one analytic-vs-numeric comparison."""

    shape: tuple[int, ...]
    checked: int
    max_abs_error: float
    max_rel_error: float
    rel_norm_error: float
    worst_index: tuple[int, ...]
    worst_analytic: float
    worst_numeric: float
    failed: int
    excluded: int = 0

    @property
    def passed(self) -> bool:
        return self.failed == 0


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
    # Per-element relative errors of a tensor checked element by element (NaN where unchecked),
    # for heatmaps.
    element_errors: np.ndarray | None = field(default=None, repr=False, compare=False)
    # The tensor's shape where the comparison's is another: a directional row compares K
    # directional derivatives, not the tensor's elements.
    tensor_shape: tuple[int, ...] | None = None
    # Why the row has no verdict and fails: "overflow" or "NaN" (a loss, difference or analytic
    # value not finite), "kinks" (more than half its elements unjudged, with --kinks fail).
    unresolved: str = ""
    # Elements left without a verdict: on kinks that no one-sided difference could judge.
    unjudged: int = 0
    # A term added to the row's equation, e.g. "2λW" for ∇W under regularization: {l2: λ}.
    term: str = ""
    # analytic / numeric where the whole row is off by one constant factor (a hint found it).
    factor: float | None = None
    # Wall-clock seconds the row took (for JUnit); None where not measured. Not in the JSON
    # document, which stays the same from run to run.
    seconds: float | None = field(default=None, compare=False)

    @property
    def skipped(self) -> bool:
        """Not checked at all (e.g. a φ your backward does not return): neither pass nor fail."""
        return self.mode == "skipped"

    @property
    def passed(self) -> bool:
        """No failure (a skipped row fails nothing; ``skipped`` says it was not checked)."""
        return self.comparison.passed and not self.unresolved

    @property
    def equation_label(self) -> str:
        """'3', or '3 + 2λW' where a penalty's gradient is part of the row."""
        return f"{self.equation} + {self.term}" if self.term else str(self.equation)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the tensor this row checks."""
        return self.comparison.shape if self.tensor_shape is None else self.tensor_shape

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return {
            "quantity": self.quantity,
            "equation": self.equation,
            "shape": list(self.shape),
            "max_abs_error": json_number(c.max_abs_error),
            "max_rel_error": json_number(c.max_rel_error),
            "rel_norm_error": json_number(c.rel_norm_error),
            "worst_index": list(c.worst_index),
            "worst_analytic": json_number(c.worst_analytic),
            "worst_numeric": json_number(c.worst_numeric),
            "elements": math.prod(self.shape),
            "mode": self.mode,
            "checked": c.checked,
            "kinks": self.kinks,
            "kink_indices": [list(index) for index in self.kink_indices],
            "dead": self.dead,
            "error_estimate": None
            if self.error_estimate is None
            else json_number(self.error_estimate),
            "note": self.note,
            "hint": self.hint,
            "from": list(self.sources),
            "failed": c.failed,
            "passed": None if self.skipped else self.passed,
            "skipped": self.skipped,
            "unresolved": self.unresolved or None,
            "unjudged": self.unjudged,
            "term": self.term or None,
            "factor": None if self.factor is None else json_number(self.factor),
        }


@dataclass(frozen=True)
class ForwardCheck:
    """Your loss against the config's network at the same parameters: the row before all others.

    ``source`` is the function that gave your loss (impl.loss, or backward returning it).
    """

    yours: float
    config: float
    passed: bool
    source: str
    hint: str | None = None

    @property
    def sentence(self) -> str:
        """'your loss 1.234 ≠ the config's 1.567: ...', or the agreement."""
        if self.passed:
            return f"your loss {self.yours:.6g} = the config's {self.config:.6g}"
        return (
            f"your loss {self.yours:.6g} ≠ the config's {self.config:.6g}: your forward pass or "
            "loss differs from the network the config describes"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantity": "forward",
            "yours": json_number(self.yours),
            "config": json_number(self.config),
            "passed": self.passed,
            "from": self.source,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class FirstFailure:
    """The row the diagnosis names: layer (None for the forward row), quantity ("forward",
    "phi", "W" or "b") and the equation it is in (1–4, None for the forward row)."""

    layer: int | None
    quantity: str
    equation: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "quantity": self.quantity, "equation": self.equation}


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
    # Your loss against the config's network (impl.loss, or a loss your backward returns).
    forward: ForwardCheck | None = None
    first_failure: FirstFailure | None = None
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    # The smallest relative error these settings were measured to catch wherever it exceeds
    # twice the absolute tolerance (Tolerances.resolves); None where not measured.
    resolves: float | None = None

    @property
    def passed(self) -> bool:
        forward = self.forward is None or self.forward.passed
        return forward and all(layer.passed for layer in self.layers)

    @property
    def checks(self) -> tuple[QuantityCheck, ...]:
        return tuple(check for layer in self.layers for check in layer.checks)

    def resolution(self) -> str:
        """E.g. 'resolves errors above 0.7 % (float32, central)'; "" where not measured."""
        if self.resolves is None:
            return ""
        return f"resolves errors above {100 * self.resolves:.2g} % ({self.dtype}, {self.method})"

    @property
    def checked(self) -> tuple[QuantityCheck, ...]:
        """The rows that were checked (skipped ones left out)."""
        return tuple(check for check in self.checks if not check.skipped)

    @property
    def skipped(self) -> tuple[QuantityCheck, ...]:
        return tuple(check for check in self.checks if check.skipped)

    @property
    def coverage(self) -> Coverage | None:
        """What a sampled or directional check saw; None when every element was checked."""
        if self.mode not in ("sample", "directions"):
            return None
        from .coverage import Coverage, direction_detection

        sizes = [math.prod(check.shape) for check in self.checks]
        found = []  # per tensor: the chance a bug in one of its elements is found
        for check, size in zip(self.checks, sizes, strict=True):
            c = check.comparison
            if check.mode == "directions":
                found.append(
                    direction_detection(elements=size, directions=c.checked, rtol=self.rtol)
                )
            else:  # sampled, or checked element by element after its directions disagreed
                found.append((c.checked - c.excluded) / size if size else 1.0)
        total = sum(sizes)
        return Coverage(
            mode=self.mode,
            checked=self.mode_count or 0
            if self.mode == "directions"
            else sum(c.comparison.checked - c.comparison.excluded for c in self.checks),
            elements=total,
            tensors=len(sizes),
            detection=sum(p * n for p, n in zip(found, sizes, strict=True)) / total
            if total
            else 1.0,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``bpcheck run --format json``."""
        return {
            "passed": self.passed,
            "config": self.config,
            "loss": self.loss,
            "loss_value": json_number(self.loss_value),
            "method": self.method,
            "eps": self.eps,
            "rtol": self.rtol,
            "atol": self.atol,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "dtype": self.dtype,
            "resolves": self.resolves,
            "kinks": self.kink_policy,
            "config_sha256": self.config_sha256,
            "data_sha256": self.data_sha256,
            "versions": dict(self.versions),
            "mode": self.mode,
            "sample": self.mode_count if self.mode == "sample" else None,
            "directions": self.mode_count if self.mode == "directions" else None,
            "coverage": None if self.coverage is None else self.coverage.to_dict(),
            "diagnosis": self.diagnosis,
            "warnings": list(self.warnings),
            "impl": self.impl,
            "forward": None if self.forward is None else self.forward.to_dict(),
            "first_failure": None if self.first_failure is None else self.first_failure.to_dict(),
            "skipped": len(self.skipped),
            "layers": [layer.to_dict() for layer in self.layers],
        }


@dataclass(frozen=True)
class RunResult:
    """One config of a multi-config run: its report, or why it could not be checked."""

    config: str
    report: CheckReport | None = None
    error: str | None = None
    # The error is a wrong gradient found before any check ran (a formula's df): failed.
    wrong_gradient: bool = False
    # Wall-clock seconds the config took, loading included (for JUnit); None where not measured.
    seconds: float | None = field(default=None, compare=False)

    @property
    def status(self) -> str:
        """'passed', 'failed' or 'invalid' (the config or its data could not be used)."""
        if self.report is None:
            return "failed" if self.wrong_gradient else "invalid"
        return "passed" if self.report.passed else "failed"

    def to_dict(self) -> dict[str, Any]:
        if self.report is not None:
            return self.report.to_dict()
        return {"passed": False, "config": self.config, "error": self.error}
