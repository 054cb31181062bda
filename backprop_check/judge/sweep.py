"""The step sweep: run the check over a grid of steps and read the V of error against eps.

For a central difference the error falls with eps (truncation, ∝ eps²) until round-off
(∝ u·|L|/eps) takes over. A row that fails at the configured eps but passes at another is a
numerical problem; a row that passes at no eps is a bug in the analytic gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..core.notation import quantity_symbol
from ..errors import BackpropCheckError
from ..report.data import CheckReport, ProgressEvent
from ..report.data.sweep import (
    SweepReport,
    SweepRow,
    best_step_index,
    format_option,
    format_step,
    worst_per_step,
)

if TYPE_CHECKING:
    from .checker import Checker

# The report types live with the other report data; they are named here too, where sweeps are run.
__all__ = ["DEFAULT_STEPS", "SweepReport", "SweepRow", "format_option", "format_step", "sweep"]

DEFAULT_STEPS: tuple[float, ...] = tuple(10.0**-k for k in range(1, 13))


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
        not_checked=tuple(
            (quantity_symbol(c.quantity, c.layer), c.note) for c in at_configured.skipped
        ),
    )


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
        if configured_check.skipped:  # never a row of errors: it was not checked at any step
            continue
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
                best_step=grid[best_step_index(grid, range(len(grid)), rel)],
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
    return grid[best_step_index(grid, range(len(grid)), worst_per_step(healthy))]
