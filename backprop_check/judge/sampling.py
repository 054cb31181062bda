"""Which elements a sampled check (``--sample K``) looks at: spread evenly, the same every run."""

from __future__ import annotations

import numpy as np

from ..numeric.targets import QUANTITIES, Target

__all__ = ["sample_elements"]


def sample_elements(size: int, count: int | None, *, seed: int, target: Target) -> np.ndarray:
    """``count`` of ``size`` flat indices, one drawn from each of ``count`` equal strata.

    The draw depends on the random seed, the layer and the quantity only, so a run is reproducible
    and the tensors of one run are sampled independently. ``None`` or ``count ≥ size`` is every
    index.
    """
    if count is None or count >= size:
        return np.arange(size)
    rng = np.random.default_rng([seed, target.layer, QUANTITIES.index(target.quantity)])
    edges = np.linspace(0, size, count + 1).astype(np.intp)
    return edges[:-1] + (rng.random(count) * (edges[1:] - edges[:-1])).astype(np.intp)
