"""Reports for the format tests: one passing, one failing at Eq. 2, one config that was invalid."""

from __future__ import annotations

import pytest

from backprop_check import check
from backprop_check.report.data import CheckReport, RunResult

from ...helpers import broken_sigmoid, small_config
from .samples import BAD_PATH, EQ2_DIAGNOSIS, INVALID_ERROR, INVALID_PATH, OK_PATH


@pytest.fixture(scope="module")
def passing() -> CheckReport:
    return check(small_config())


@pytest.fixture
def failing(monkeypatch) -> CheckReport:
    # σ' replaced by σ: Eq. 2 breaks at layer 2, and everything below it follows.
    broken_sigmoid(monkeypatch)
    report = check(small_config())
    assert report.diagnosis.startswith(EQ2_DIAGNOSIS)
    return report


@pytest.fixture
def results(passing: CheckReport, failing: CheckReport) -> list[RunResult]:
    return [
        RunResult(OK_PATH, report=passing),
        RunResult(BAD_PATH, report=failing),
        RunResult(INVALID_PATH, error=INVALID_ERROR),
    ]


@pytest.fixture(scope="module")
def sampled() -> CheckReport:
    return check(small_config(), sample=2)
