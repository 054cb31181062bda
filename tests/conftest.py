"""Shared fixtures: a seeded RNG and a CLI runner."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20260601)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
