"""Which side of its kink each unit is on, before and after a perturbation.

A ReLU's slope jumps at 0. A finite difference whose step carries some unit across that point
measures an average of two slopes; one whose unit sits exactly on 0 measures one side's slope.
The engine marks every row with what its step did to the units it reached (:func:`side_flags`),
and bounds how far a change may go through a linear stretch before some unit could change side
(:func:`side_limits`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["CHANGED", "CROSSED", "FLAGS", "LEFT", "side_flags", "side_limits"]

Array = np.ndarray

# Bits of a row's kink flags: some unit changed side; some unit not exactly on its kink did;
# some unit exactly on its kink moved (to either side, or off the real axis).
CHANGED, CROSSED, LEFT = np.uint8(1), np.uint8(2), np.uint8(4)
FLAGS = (CHANGED, CROSSED, LEFT)
# Linear-path limits are computed to rounding; this keeps rows next to a limit on the plain path.
_LIMIT_MARGIN = 1.0 - 1e-12


def side_flags(moved: Array, original: Array, axis: int) -> Array:
    """Per row (along ``axis``): CHANGED if some unit changed side, | CROSSED if off its kink,
    | LEFT if some unit exactly on its kink moved."""
    changed = (moved.real > 0) != (original > 0)
    flags = np.where(np.any(changed, axis=axis), CHANGED, np.uint8(0))
    crossed = np.any(changed & (original != 0), axis=axis)
    left = np.any((original == 0) & (moved != original), axis=axis)
    none = np.uint8(0)
    return flags | np.where(crossed, CROSSED, none) | np.where(left, LEFT, none)


def side_limits(z: Array, gain: Array) -> tuple[Array, Array]:
    """Per (sample, unit i): the |Δa| at which z + Δa·gain[s, i] could first change side.

    A unit above zero changes side when pushed down to 0; one below zero when pushed above; one
    exactly on its kink at any move, either way, so that the plain path flags it (LEFT).
    The first array is for rising Δa, the second for falling Δa.
    """
    # toward = ±1/|z|, signed so that gain · toward > 0 where a rising Δa moves the unit across,
    # at Δa = 1/(gain · toward); 0·∞ (no gain, unit on 0) is NaN, which fmax and fmin pass over.
    with np.errstate(divide="ignore", invalid="ignore"):
        toward = (np.where(z > 0, -1.0, 1.0) / np.abs(z))[:, None, :]
        speeds = gain * toward
        rising, falling = np.fmax.reduce(speeds, axis=2), -np.fmin.reduce(speeds, axis=2)
        # Shrunk by a few roundings: a row at the very limit takes the plain path.
        rise_limit = np.where(rising > 0, _LIMIT_MARGIN / rising, np.inf)
        fall_limit = np.where(falling > 0, _LIMIT_MARGIN / falling, np.inf)
    if np.any(z == 0):
        # A unit on its kink that Δa moves at all sends the row to the plain path, either way.
        on_kink = np.any((z == 0)[:, None, :] & (gain != 0), axis=2)
        rise_limit[on_kink] = fall_limit[on_kink] = 0.0
    return rise_limit, fall_limit
