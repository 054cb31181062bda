"""The step sweep: run the check over a grid of steps and read the V of error against eps.

For a central difference the error falls with eps (truncation, ∝ eps²) until round-off
(∝ u·|L|/eps) takes over. A row that fails at the configured eps but passes at another is a
numerical problem; a row that passes at no eps is a bug in the analytic gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.notation import quantity_symbol
from ..errors import BackpropCheckError
from ..report.data import CheckReport, ProgressEvent, _json_float

if TYPE_CHECKING:
    from .checker import Checker

__all__ = ["DEFAULT_STEPS", "SweepReport", "SweepRow", "sweep"]

DEFAULT_STEPS: tuple[float, ...] = tuple(10.0**-k for k in range(1, 13))


@dataclass(frozen=True)
class SweepRow:
    """One layer × quantity across the grid: its errors and pass/fail at every step."""

    layer: int
    quantity: str
    equation: int
    max_rel_errors: tuple[float, ...]
    max_abs_errors: tuple[float, ...]
    passed: tuple[bool, ...]
    best_step: float
    verdict: str

    @property
    def symbol(self) -> str:
        """'φ²', '∇W²' or '∇b²'."""
        return quantity_symbol(self.quantity, self.layer)

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "quantity": self.quantity,
            "equation": self.equation,
            "max_rel_errors": [_json_float(e) for e in self.max_rel_errors],
            "max_abs_errors": [_json_float(e) for e in self.max_abs_errors],
            "passed": list(self.passed),
            "best_step": self.best_step,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class SweepReport:
    """The whole sweep; ``steps`` is the grid, in the order it was given."""

    config: str
    method: str
    configured_eps: float
    rtol: float
    atol: float
    steps: tuple[float, ...]
    rows: tuple[SweepRow, ...]
    recommended_eps: float

    @property
    def passed(self) -> bool:
        """True when no row is a bug (numerical rows pass at some eps)."""
        return all(row.verdict != "bug" for row in self.rows)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``bpcheck sweep --format json``."""
        return {
            "passed": self.passed,
            "config": self.config,
            "method": self.method,
            "configured_eps": self.configured_eps,
            "rtol": self.rtol,
            "atol": self.atol,
            "steps": list(self.steps),
            "recommended_eps": self.recommended_eps,
            "summary": self.summary(),
            "rows": [row.to_dict() for row in self.rows],
        }

    def summary(self) -> str:
        """The recommended eps and, for rows that fail at the configured eps, what that means."""
        sentences = [f"Recommended eps: {format_step(self.recommended_eps)}, the bottom of the V."]
        bugs = [row for row in self.rows if row.verdict == "bug"]
        numerical = [row for row in self.rows if row.verdict == "numerical"]
        if bugs:
            sentences.append(_bug_sentence(bugs))
        if numerical:
            sentences.append(self._numerical_sentence(numerical))
        if not bugs and not numerical:
            sentences.append(
                f"Every check passes at the configured eps {format_step(self.configured_eps)}."
            )
        return " ".join(sentences)

    def _numerical_sentence(self, rows: list[SweepRow]) -> str:
        names, plural = _names(rows), len(rows) > 1
        fails = "fail" if plural else "fails"
        passes = "pass" if plural else "passes"
        head = f"{names} {fails} at eps {format_step(self.configured_eps)}"
        common = self._common_step()
        if common is not None:
            return (
                f"{head} but {passes} at {format_step(common)}: numerical, not a bug; "
                f"use --eps {format_option(common)}."
            )
        where = ", ".join(f"{row.symbol} at {format_step(self._passing_step(row))}" for row in rows)
        return (
            f"{head} but {passes} at other steps ({where}): numerical, not a bug; "
            "no single eps passes every row, so loosen --rtol or try --method richardson."
        )

    def _common_step(self) -> float | None:
        """The step at which every row that can pass does, with the smallest worst error."""
        healthy = [row for row in self.rows if row.verdict != "bug"]
        candidates = [i for i in range(len(self.steps)) if all(row.passed[i] for row in healthy)]
        if not candidates:
            return None
        return self.steps[_argmin(self.steps, candidates, _worst(healthy))]

    def _passing_step(self, row: SweepRow) -> float:
        candidates = [i for i, ok in enumerate(row.passed) if ok]
        return self.steps[_argmin(self.steps, candidates, row.max_rel_errors)]


ProgressCallback = Callable[[ProgressEvent], None]


def sweep(
    checker: Checker,
    *,
    steps: Sequence[float] = DEFAULT_STEPS,
    progress: ProgressCallback | None = None,
) -> SweepReport:
    """Check ``checker``'s network at every step of ``steps`` and at its configured eps."""
    grid = _validated(steps)
    options = checker.config.check
    configured = options.step
    reports = []
    for i, step in enumerate(grid, start=1):
        reports.append(checker.with_step(step).run())
        if progress is not None:
            progress(ProgressEvent(label="sweep", completed=i, total=len(grid)))
    at_configured = next(
        (r for step, r in zip(grid, reports, strict=True) if _same_step(step, configured)),
        None,
    )
    if at_configured is None:
        at_configured = checker.with_step(configured).run()
    rows = _rows(grid, reports, at_configured)
    return SweepReport(
        config=checker.config.source,
        method=reports[0].method,
        configured_eps=configured,
        rtol=options.relative_tolerance,
        atol=options.absolute_tolerance,
        steps=grid,
        rows=rows,
        recommended_eps=_recommended(grid, rows),
    )


def format_step(step: float) -> str:
    """'1e-06', '2.5e-03': the way a sentence shows a step."""
    mantissa, exponent = f"{step:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"


def format_option(step: float) -> str:
    """'1e-6', '2.5e-3': the way a step is typed after --eps."""
    mantissa, exponent = format_step(step).split("e")
    return f"{mantissa}e{int(exponent)}"


# --------------------------------------------------------------------------- helpers


def _validated(steps: Sequence[float]) -> tuple[float, ...]:
    grid = tuple(float(step) for step in steps)
    if not grid:
        raise BackpropCheckError("the sweep needs at least one step.")
    bad = [step for step in grid if not (math.isfinite(step) and step > 0)]
    if bad:
        raise BackpropCheckError(f"sweep steps must be positive and finite, not {bad[0]!r}.")
    return grid


def _same_step(a: float, b: float) -> bool:
    # 10.0**-k and the literal 1e-k can differ in the last bit.
    return math.isclose(a, b, rel_tol=1e-9)


def _rows(
    grid: tuple[float, ...], reports: list[CheckReport], at_configured: CheckReport
) -> tuple[SweepRow, ...]:
    rows = []
    for position, configured_check in enumerate(at_configured.checks):
        checks = [report.checks[position] for report in reports]
        rel = tuple(c.comparison.max_rel_error for c in checks)
        passed = tuple(c.passed for c in checks)
        if configured_check.passed:
            verdict = "passes"
        elif any(passed):
            verdict = "numerical"
        else:
            verdict = "bug"
        rows.append(
            SweepRow(
                layer=configured_check.layer,
                quantity=configured_check.quantity,
                equation=configured_check.equation,
                max_rel_errors=rel,
                max_abs_errors=tuple(c.comparison.max_abs_error for c in checks),
                passed=passed,
                best_step=grid[_argmin(grid, range(len(grid)), rel)],
                verdict=verdict,
            )
        )
    return tuple(rows)


def _recommended(grid: tuple[float, ...], rows: tuple[SweepRow, ...]) -> float:
    """The bottom of the V: the step whose worst row error is smallest.

    Bug rows are left out when others remain: their error is wrong at every step, so it would
    pick the step by the noise in a bug rather than by the numerics of the rest.
    """
    healthy = [row for row in rows if row.verdict != "bug"] or list(rows)
    return grid[_argmin(grid, range(len(grid)), _worst(healthy))]


def _worst(rows: Sequence[SweepRow]) -> tuple[float, ...]:
    """Per step, the largest max relative error over ``rows``."""
    count = len(rows[0].max_rel_errors) if rows else 0
    return tuple(max(_finite_or_inf(row.max_rel_errors[i]) for row in rows) for i in range(count))


def _argmin(
    grid: Sequence[float], candidates: Sequence[int] | range, errors: Sequence[float]
) -> int:
    """The candidate index with the smallest error; ties go to the larger step."""
    return min(candidates, key=lambda i: (_finite_or_inf(errors[i]), -grid[i]))


def _finite_or_inf(value: float) -> float:
    # NaN would compare false both ways and break the ordering; count it as infinitely wrong.
    return math.inf if math.isnan(value) else value


def _names(rows: Sequence[SweepRow]) -> str:
    """'φ²', 'φ² and ∇W²', 'φ¹, φ² and ∇W²'."""
    symbols = [row.symbol for row in rows]
    if len(symbols) == 1:
        return symbols[0]
    return f"{', '.join(symbols[:-1])} and {symbols[-1]}"


def _bug_sentence(rows: list[SweepRow]) -> str:
    if len(rows) == 1:
        return f"{rows[0].symbol} never agrees at any eps: a real bug, not a numerical problem."
    return f"{_names(rows)} never agree at any eps: real bugs, not a numerical problem."
