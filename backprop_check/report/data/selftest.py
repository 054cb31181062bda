"""The selftest's result as plain data: the correct build's verdict and each mutant's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MutantResult", "SelftestReport"]


@dataclass(frozen=True)
class MutantResult:
    """How the checker fared against one mutant."""

    name: str
    origin: str
    explanation: str
    caught: bool
    row: str  # e.g. "φ³ (Eq. 2, layer 3)", or "" when nothing failed
    error: float  # that row's max relative error
    diagnosis: str
    network: str  # which network caught it
    why_not: str = ""  # why the usual network could not, when a special case was needed

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SelftestReport:
    correct_passed: bool
    correct_failures: tuple[str, ...]
    results: tuple[MutantResult, ...]

    @property
    def passed(self) -> bool:
        """The correct build passed and every catchable mutant was caught."""
        return self.correct_passed and all(result.caught for result in self.results)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``bpcheck selftest --format json``."""
        return {
            "passed": self.passed,
            "correct_build_passed": self.correct_passed,
            "correct_build_failures": list(self.correct_failures),
            "mutants": [result.to_dict() for result in self.results],
        }
