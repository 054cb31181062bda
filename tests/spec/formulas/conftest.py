"""Points to evaluate formulas at, seeded."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def points(rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((4, 5)) * 2
