"""A step sweep as plain data: per row, the error at every step, and what the V says.

For a central difference the error falls with eps (truncation, ∝ eps²) until round-off
(∝ u·|L|/eps) takes over. A row that fails at the configured eps but passes at another is a
numerical problem; a row that passes at no eps is a bug in the analytic gradient.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...core.notation import quantity_symbol
from .check import json_number

__all__ = [
    "VERDICTS",
    "SweepReport",
    "SweepRow",
    "best_step_index",
    "format_option",
    "format_step",
    "worst_per_step",
]

VERDICTS = ("passes", "numerical", "bug")


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
            "max_rel_errors": [json_number(e) for e in self.max_rel_errors],
            "max_abs_errors": [json_number(e) for e in self.max_abs_errors],
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
    # (symbol, why) of each row not checked at any step, such as a φ your backward does not give.
    not_checked: tuple[tuple[str, str], ...] = ()

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
            "not_checked": [{"check": symbol, "note": note} for symbol, note in self.not_checked],
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
            every = "Every checked row passes" if self.not_checked else "Every check passes"
            sentences.append(f"{every} at the configured eps {format_step(self.configured_eps)}.")
        if self.not_checked:
            names = ", ".join(symbol for symbol, _ in self.not_checked)
            why = self.not_checked[0][1].removeprefix("not checked: ").rstrip(".")
            sentences.append(f"Not checked at any eps: {names} ({why}).")
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
        return self.steps[best_step_index(self.steps, candidates, worst_per_step(healthy))]

    def _passing_step(self, row: SweepRow) -> float:
        candidates = [i for i, ok in enumerate(row.passed) if ok]
        return self.steps[best_step_index(self.steps, candidates, row.max_rel_errors)]


def format_step(step: float) -> str:
    """'1e-06', '2.5e-03': the way a sentence shows a step."""
    mantissa, exponent = f"{step:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"


def format_option(step: float) -> str:
    """'1e-6', '2.5e-3': the way a step is typed after --eps."""
    mantissa, exponent = format_step(step).split("e")
    return f"{mantissa}e{int(exponent)}"


def worst_per_step(rows: Sequence[SweepRow]) -> tuple[float, ...]:
    """Per step, the largest max relative error over ``rows``."""
    count = len(rows[0].max_rel_errors) if rows else 0
    return tuple(max(_finite_or_inf(row.max_rel_errors[i]) for row in rows) for i in range(count))


def best_step_index(
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
