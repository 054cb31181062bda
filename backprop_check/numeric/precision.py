"""Where finite differences cannot be trusted: plain-sentence warnings from the check's data.

A central difference loses about u·|L|/ε to round-off (u the machine epsilon). Gradients below
that floor pass on atol alone; saturated sigmoids hide σ' behind values near 0; outputs near 0 or 1
put the loss next to log 0. None of this is a failure, but a pass there proves little.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.network import Network, Trace
from ..core.notation import quantity_symbol
from .finite_differences import METHODS

__all__ = [
    "judging_atol",
    "largest_magnitude",
    "noise_floor",
    "precision_warnings",
    "smallest_step",
]

Array = np.ndarray

# Probabilities closer than this to 0 or 1 put cross-entropy next to log 0.
_SATURATED_P = 1e-12
# A gradient is "at the floor" when it is below this many times the round-off of the difference.
_FLOOR_MARGIN = 10.0
_FLOAT32_NOTE = (
    "float32 keeps about 7 significant digits and a finite difference about half of them, so "
    "errors of a few tenths of a percent of a gradient can go unseen (the header says what this "
    "check resolves): check derivative formulas in float64, and use float32 only to check a "
    "float32 implementation."
)


def precision_warnings(
    network: Network,
    trace: Trace,
    sample_losses: Array,
    analytic: Sequence[tuple[int, str, Array]],
    *,
    eps: float,
    atol: float,
    method: str,
) -> tuple[str, ...]:
    """Sentences about the parts of this check that finite differences cannot resolve."""
    dtype = trace.z(1).dtype
    warnings = [_FLOAT32_NOTE] if dtype == np.float32 else []
    bad = ~np.isfinite(sample_losses)
    if bad.any():
        what = "NaN" if np.isnan(sample_losses).any() else "overflow"
        warnings.append(
            f"the loss is not finite ({what}) for {int(bad.sum())} of {bad.size} samples, so no "
            "finite difference of it means anything and no row can be judged. Scale the "
            "targets, inputs or weights down."
        )
    elif METHODS[method].subtracts:
        warnings += _below_floor(sample_losses, analytic, eps=eps, unit=float(np.finfo(dtype).eps))
        raised = judging_atol(atol, sample_losses, eps=eps, method=method)
        if raised > atol:
            largest = float(np.max(np.abs(sample_losses)))
            warnings.append(
                f"the loss is large (up to {largest:.2g} per sample), so a finite difference's "
                f"round-off, about {raised / _FLOOR_MARGIN:.1e}, is near or above atol {atol:g}: "
                f"elements are judged with atol {raised:.1e} instead. Scale the targets or the "
                "loss down for a sharper check."
            )
    warnings += _below_atol(analytic, atol=atol, already=warnings)
    warnings += _saturation(network, trace)
    warnings += _dead_layers(network, trace)
    if trace.a(0).shape[0] == 1:
        warnings.append(
            "batch_size is 1, so a sum over the batch cannot be told from its mean (the factor "
            "B is 1): use batch_size ≥ 2 to catch a missing 1/B in Eq. 3 or 4."
        )
    return tuple(warnings)


def _below_atol(
    analytic: Sequence[tuple[int, str, Array]], *, atol: float, already: list[str]
) -> list[str]:
    """Whole tensors that no element of could fail: every |g| is below atol."""
    tiny = [
        quantity_symbol(quantity, layer)
        for layer, quantity, values in analytic
        if values.size
        and float(np.max(np.abs(values))) < atol
        and not any(quantity_symbol(quantity, layer) in text for text in already)
    ]
    if not tiny:
        return []
    return [
        f"{', '.join(tiny)}: every element is below atol ({atol:g}), so these pass whatever "
        "their values, and a sign or factor error there goes unseen. Scale the inputs or targets "
        "up, or lower --atol."
    ]


def _dead_layers(network: Network, trace: Trace) -> list[str]:
    warnings = []
    for j in range(1, network.depth + 1):
        activation = network.activation(j)
        off = activation.off_at_or_below
        if off is not None and not np.any(trace.z(j) > off):
            warnings.append(
                f"layer {j} ({activation.name}): every unit is off (z ≤ {off:g}) for every "
                "sample, so its gradients are all 0 and check nothing. Use other data, biases or "
                "init."
            )
    return warnings


# A step must move a value of the network's scale by this many units in its last place, so that
# θ + ε keeps a few digits of ε (2^4: four bits). Below, differences are rounding noise or 0;
# above, the round-off floor (judging_atol) and a sweep tell how good the step is.
_STEP_ULPS = 16.0


def smallest_step(values: Sequence[Array], *, method: str) -> float:
    """The smallest eps the dtype resolves for perturbations of these arrays (W, b and z).

    A differencing method needs θ + ε to keep digits of ε at the largest |θ|; below that every
    difference rounds to 0. The complex step subtracts nothing, but ε·L' must stay a normal
    number: ε ≥ √tiny.
    """
    info = np.finfo(values[0].dtype)
    if not METHODS[method].subtracts:
        return float(np.sqrt(info.tiny))
    return max(_STEP_ULPS * float(info.eps) * largest_magnitude(values), float(info.tiny))


def largest_magnitude(values: Sequence[Array]) -> float:
    """The largest finite |value|: an overflow is judged elsewhere, as an unresolvable row."""
    return max(float(np.max(np.abs(v), initial=0.0, where=np.isfinite(v))) for v in values)


def noise_floor(sample_losses: Array, *, eps: float) -> float:
    """The round-off of one finite difference, u·|L|/ε, with |L| the largest sample loss (≥ 1)."""
    unit = float(np.finfo(sample_losses.dtype).eps)
    return unit * max(float(np.max(np.abs(sample_losses), initial=0.0)), 1.0) / eps


def judging_atol(atol: float, sample_losses: Array, *, eps: float, method: str) -> float:
    """atol, raised to 10× the round-off floor where a large loss puts the floor above it.

    Below its floor a finite difference carries no information; judging there would call the
    round-off of a correct gradient an error. The floor is taken at no smaller a step than the
    method's default, so that a tiny eps (as in a sweep) cannot widen the tolerance with it. The
    complex step subtracts nothing and has no floor.
    """
    if not METHODS[method].subtracts:
        return atol
    dtype = "float32" if sample_losses.dtype == np.float32 else "float64"
    reference = max(eps, METHODS[method].defaults(dtype).eps)
    return max(atol, _FLOOR_MARGIN * noise_floor(sample_losses, eps=reference))


def _below_floor(
    sample_losses: Array, analytic: Sequence[tuple[int, str, Array]], *, eps: float, unit: float
) -> list[str]:
    floor = noise_floor(sample_losses, eps=eps)
    tiny = [
        (layer, quantity, float(np.max(np.abs(values), initial=0.0)))
        for layer, quantity, values in analytic
        if values.size and np.max(np.abs(values)) < _FLOOR_MARGIN * floor
    ]
    if not tiny:
        return []
    names = ", ".join(quantity_symbol(quantity, layer) for layer, quantity, _ in tiny)
    largest = max(size for _, _, size in tiny)
    return [
        f"{names}: gradients of at most {largest:.1e} are within {_FLOOR_MARGIN:g}× the round-off "
        f"of a finite difference here (about {floor:.1e} at eps {eps:g}), so they pass on atol "
        "alone. Scale the inputs or targets up, use fewer samples (the loss is a mean), or float64."
    ]


def _saturation(network: Network, trace: Trace) -> list[str]:
    warnings = []
    for j in range(1, network.depth + 1):
        activation = network.activation(j)
        name, z, beyond = activation.name, trace.z(j), activation.saturates_beyond
        if j == network.depth and activation.probabilities and network.loss.takes_logs:
            # In float64: 1 − 1e-12 rounds to 1 in float32 and would hide outputs that are 1.
            a = trace.a(j).astype(np.float64)
            saturated = int(np.count_nonzero((a < _SATURATED_P) | (a > 1 - _SATURATED_P)))
            if saturated:
                warnings.append(
                    f"layer {j} ({name}): {saturated} of {a.size} outputs are within "
                    f"{_SATURATED_P:g} of 0 or 1, next to log 0 in the loss, where finite "
                    "differences lose their digits. Use smaller weights (init: xavier) or inputs."
                )
        elif beyond is not None:
            saturated = int(np.count_nonzero(np.abs(z) > beyond))
            if saturated:
                warnings.append(
                    f"layer {j} ({name}): {saturated} of {z.size} pre-activations have "
                    f"|z| > {beyond:g}, where σ' < 1e-8, so a wrong σ' there is invisible. "
                    "Use smaller weights (init: xavier) or inputs."
                )
    return warnings
