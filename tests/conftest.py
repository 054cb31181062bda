"""Shared fixtures (a seeded RNG, a CLI runner) and the hypothesis profiles.

Profiles (environment variable HYPOTHESIS_PROFILE): ``ci`` (the default) is derandomized, for a
suite that gives the same answer on every run; ``long`` is random, for a local hunt:
``HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py``. Neither has a deadline: a slow example on
a loaded machine is not a failure. Hangs are stopped by ``helpers.hard_deadline`` instead, and
resource bounds are asserted as counts. No example database is written; a failure prints its
``@reproduce_failure`` blob.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from .helpers import HYPOTHESIS_PROFILE, HYPOTHESIS_PROFILES

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the fuzz and property tests skip themselves
    settings = None

if settings is not None:
    _COMMON = {
        "deadline": None,
        "database": None,
        "print_blob": True,
        "suppress_health_check": [
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    }
    settings.register_profile("ci", derandomize=True, **_COMMON)
    settings.register_profile("long", derandomize=False, **_COMMON)
    if HYPOTHESIS_PROFILE not in HYPOTHESIS_PROFILES:
        raise pytest.UsageError(
            f"HYPOTHESIS_PROFILE={HYPOTHESIS_PROFILE!r}: expected one of "
            f"{', '.join(HYPOTHESIS_PROFILES)}."
        )
    settings.load_profile(HYPOTHESIS_PROFILE)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20260601)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
