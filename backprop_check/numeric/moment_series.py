"""Softmax's exponentials summed by their moments, for changes that reach the logits linearly.

When a^j moves by Δa and the logits by Δa·g (g a column of the linear chain's gain), sample s's
categorical cross-entropy changes by ΔL_s = Y_s log Σ_c p_sc e^{Δa g'_c}, with g' the gain less
its label-weighted mean (:mod:`.weight_blocks`). With the moments M_n = Σ_c p_sc g'_c^n of each
unit,

    Σ_c p_sc e^{Δa g'_c} = 1 + Σ_{n≥1} Δa^n M_n / n!,

so ΔL_s = Y_s log1p(Σ_{n=1..N} Δa^n M_n/n!): a polynomial and a log1p per row, no exp. Over a
block of W^j, with Δa = σ'(z)·Δz exactly where σ^j is linear over the step, that is a product of
a units × N and an N × inputs matrix per sample.

|M_n| ≤ τ_g^n with τ_g = max_c |g'_c| (the p_sc sum to 1), so the terms left out add up to at
most τ^{N+1}/(N+1)! e^τ, τ = max |Δa| τ_g. N is the fewest terms that keep this below 2^-60, far
under the rounding of a sum of exps (an ulp of 1, 2^-52), which the series also avoids: log1p
keeps the relative precision of a small change. Past SERIES_TERMS terms the caller takes the exps.
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["SERIES_TERMS", "MomentSeries", "series_terms"]

Array = np.ndarray

# The moment series: the most terms it takes, and the bound on what it leaves out (absolute,
# on a sum near 1).
SERIES_TERMS = 8
_SERIES_REMAINDER = 2.0**-60
# Numbers per group of samples the series handles at once: in cache, and few numpy calls.
_SERIES_NUMBERS = 1 << 18


class MomentSeries:
    """The moment series of one layer's units: p (B, classes), g' (B, classes, units), Y (B,)
    and max_c |g'| (B, units)."""

    def __init__(self, p: Array, gains: Array, label_sums: Array, largest_gain: Array) -> None:
        self.p, self.gains, self.label_sums, self.largest_gain = p, gains, label_sums, largest_gain

    @functools.cached_property
    def moments(self) -> Array:
        """(B, SERIES_TERMS, units): M_n/n! = Σ_c p_sc g'_c^n / n! for n = 1, 2, …"""
        moments = np.empty((self.gains.shape[0], SERIES_TERMS, self.gains.shape[2]))
        power = np.ones_like(self.gains)
        for n in range(1, SERIES_TERMS + 1):
            power *= self.gains / n
            moments[:, n - 1] = np.einsum("sc,sci->si", self.p, power)
        return moments

    def row_changes(self, samples: Array, units: Array, moves: Array) -> tuple[Array, Array]:
        """ΔL_s for rows whose a^j[s, i] moves by Δa (i = ``units``) where the moment series
        serves them, and which it serves (a mask): Δa real and few enough terms.

        Δa is a^j's own change, whatever σ^j; the caller sees to it that no unit between j and J
        changes side over these rows.
        """
        served = np.zeros(moves.shape, dtype=bool)
        if moves.dtype.kind != "f":
            return np.zeros(0), served
        with np.errstate(over="ignore", invalid="ignore"):
            needed = series_terms(np.abs(moves) * self.largest_gain[samples, units])
        served = needed <= SERIES_TERMS
        if not served.any():
            return np.zeros(0), served
        terms = int(np.max(needed[served]))
        samples, units, moves = samples[served], units[served], moves[served]
        moments = self.moments[samples, :terms, units]  # (rows, N): M_n/n!
        total = moments[:, terms - 1].copy()
        for n in range(terms - 2, -1, -1):  # Horner: Σ_n Δa^n M_n/n!
            total *= moves
            total += moments[:, n]
        total *= moves
        return self.label_sums[samples] * np.log1p(total, out=total), served

    def block_totals(
        self, slopes: Array, shifts: Array, units: Array, served: Array, terms: int
    ) -> Array:
        """Σ over the served samples of Y_s log1p(Σ_n Δa^n M_n/n!) for every (unit, input) of
        a block, where Δa = σ'(z)·Δz: ``slopes`` (B, units) σ'(z^j), 0 for a unit the step does
        not move, and ``shifts`` (B, inputs) Δz = step·a^{j−1}."""
        samples = np.flatnonzero(served & (self.label_sums != 0))
        orders = np.arange(1, terms + 1)
        totals = np.zeros((units.size, shifts.shape[1]))
        group = max(1, _SERIES_NUMBERS // totals.size)
        for start in range(0, samples.size, group):
            chosen = samples[start : start + group]
            moments = self.moments[chosen][:, :terms][:, :, units].transpose(0, 2, 1)
            coefficients = slopes[chosen][:, :, None] ** orders * moments  # (G, units, N)
            powers = shifts[chosen][:, None, :] ** orders[:, None]  # (G, N, inputs)
            losses = np.matmul(coefficients, powers)
            np.log1p(losses, out=losses)
            totals += np.tensordot(self.label_sums[chosen], losses, axes=1)
        return totals


def series_terms(tau: Array) -> Array:
    """The fewest terms (1…SERIES_TERMS, else SERIES_TERMS + 1) of the moment series whose
    remainder bound τ^{N+1}/(N+1)! e^τ stays below _SERIES_REMAINDER, per τ = max |Δa g'|."""
    needed = np.full(tau.shape, SERIES_TERMS + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        # Beyond τ = 1 (or NaN) the terms would run long: those stay at SERIES_TERMS + 1.
        small = tau < 1.0
        for terms in range(SERIES_TERMS, 0, -1):
            remainder = tau ** (terms + 1) / math.factorial(terms + 1) * np.exp(tau)
            needed[small & (remainder <= _SERIES_REMAINDER)] = terms
    return needed
