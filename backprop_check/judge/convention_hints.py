"""Hints that know the conventions a config declares: a failure that a key explains says which.

A constant factor between your gradients (or loss) and the checked ones is often not a bug but a
convention declared otherwise than your code keeps it: B is ``impl.reduce``, n/2 or 2/n the loss
(½Σ(y − a)² is ``half_sse``, (1/n)Σ(y − a)² is ``mse``), kW on ∇W an L2 term (``regularization``).
Each sentence names the key to declare and ends "or your config does not match your code", since
it may also be the code that is wrong. Where no convention explains a row, the general patterns of
:mod:`.hints` speak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.notation import quantity_symbol
from ..core.notation import superscript as sup
from .compare import element_errors

if TYPE_CHECKING:  # .hints is imported by the functions below: a check that passes needs none
    from ..core.regularization import Regularization
    from .hints import Hint

__all__ = ["Declared", "convention_hint", "forward_hint", "row_hint"]

Array = np.ndarray
_MISMATCH = "or your config does not match your code"
# As in .hints: a measured factor carries the noise of the finite differences.
_SLACK = 2.0


@dataclass(frozen=True)
class Declared:
    """What the config declares about the loss the gradients are of."""

    loss: str
    batch_size: int
    output_units: int
    reduce: str | None = None  # None: the built-in steps, whose reduction is the mean
    regularization: Regularization | None = None
    user_phi: bool = False  # the φ rows are φ your backward returned


def row_hint(
    analytic: Array,
    judged: Array,
    exclude: Array | None,
    *,
    declared: Declared,
    weights: Array | None,
    pre_activation: Array | None,
    **options: Any,
) -> Hint | None:
    """What the failure of a fully checked tensor looks like, in one sentence: a declared
    convention that explains it first, else the general patterns of :mod:`.hints`. ``judged``
    holds the checked elements' numeric values; ``exclude`` those left without a verdict."""
    numeric = judged.copy()
    if exclude is not None:
        # Unjudged kinks must not read as failures to the pattern matcher.
        numeric[exclude] = analytic.reshape(-1)[exclude]
    from .hints import find_hint

    analytic, numeric = analytic.astype(np.float64), numeric.reshape(analytic.shape)
    found = convention_hint(analytic, numeric, declared=declared, weights=weights, **options)
    return found or find_hint(
        analytic,
        numeric,
        batch_size=declared.batch_size,
        output_units=declared.output_units,
        pre_activation=pre_activation,
        **options,
    )


def convention_hint(
    analytic: Array,
    numeric: Array,
    *,
    quantity: str,
    layer: int,
    rtol: float,
    atol: float,
    declared: Declared,
    weights: Array | None = None,
) -> Hint | None:
    """The sentence for a failing row that a declared convention explains, or None."""
    from .hints import Hint

    symbol = quantity_symbol(quantity, layer)

    def fits(candidate: Array) -> bool:
        abs_error, rel_error = element_errors(candidate, numeric)
        return not ((rel_error > _SLACK * rtol) & (abs_error > _SLACK * atol)).any()

    if fits(analytic):
        return None
    penalty = 0.0 * analytic
    if quantity == "W" and weights is not None and declared.regularization is not None:
        penalty = 2 * declared.regularization.coefficient * weights  # ∇R, added once
    for factor, sentence in _factors(symbol, quantity, declared):
        # A reduction scales the loss's gradient, not the penalty's: (∇W − ∇R)/s + ∇R.
        if fits((analytic - penalty) / factor + penalty):
            if penalty.any() and not fits(analytic / factor):
                sentence = sentence.replace(
                    " × the finite differences", " × the finite differences, ∇R apart", 1
                )
            return Hint("convention", sentence, factor)
    if quantity == "W" and weights is not None:
        return _l2(symbol, layer, analytic - numeric, weights, declared, fits, analytic)
    return None


def _factors(symbol: str, quantity: str, declared: Declared) -> list[tuple[float, str]]:
    """(factor, sentence) for each factor a declared convention explains."""
    B, n = declared.batch_size, declared.output_units
    found: list[tuple[float, str]] = []
    if declared.user_phi and quantity == "phi" and declared.reduce == "mean" and B > 1:
        found.append((
            float(B),
            f"{symbol} is B × the finite differences (B = {B}): your φ is the per-sample "
            "∂L_s/∂z, not ∂(your loss)/∂z of the batch loss, which under reduce: mean is the "
            f"per-sample φ divided by B; return that, {_MISMATCH}.",
        ))  # fmt: skip
    if declared.user_phi and quantity == "phi" and declared.reduce == "sum" and B > 1:
        found.append((
            1.0 / B,
            f"{symbol} is 1/B × the finite differences (B = {B}): your φ is ∂/∂z of the batch "
            "mean, the per-sample φ divided by B, where the config declares reduce: sum; "
            f"declare reduce: mean, {_MISMATCH}.",
        ))  # fmt: skip
    if declared.reduce is not None and quantity != "phi" and B > 1:
        summed = declared.reduce == "mean"
        found.append((
            float(B) if summed else 1.0 / B,
            f"{symbol} is {'B' if summed else '1/B'} × the finite differences (B = {B}, the "
            f"batch size): your code {'sums over' if summed else 'averages'} the batch where the "
            f"config declares reduce: {declared.reduce}; declare reduce: "
            f"{'sum' if summed else 'mean'}, {_MISMATCH}.",
        ))  # fmt: skip
    if declared.reduce is not None and n > 2:
        if declared.loss == "mse":
            found.append((
                n / 2,
                f"{symbol} is n/2 × the finite differences (n = {n} outputs): your code "
                "differentiates ½ Σ(y − a)² where the config declares mse = (1/n) Σ(y − a)²; "
                f"declare loss: half_sse, {_MISMATCH}.",
            ))  # fmt: skip
        if declared.loss == "half_sse":
            found.append((
                2 / n,
                f"{symbol} is 2/n × the finite differences (n = {n} outputs): your code "
                "differentiates the mean (1/n) Σ(y − a)² where the config declares half_sse = "
                f"½ Σ(y − a)²; declare loss: mse, {_MISMATCH}.",
            ))  # fmt: skip
    return found


def _l2(symbol, layer, difference, weights, declared, fits, analytic) -> Hint | None:
    """∇W^j − the finite differences = k W^j: an L2 term other than the declared one."""
    from .hints import Hint

    norm = float(np.vdot(weights, weights))
    if norm == 0.0:
        return None
    k = float(np.vdot(difference, weights)) / norm
    if not fits(analytic - k * weights):
        return None
    declared_term = 2 * declared.regularization.coefficient if declared.regularization else 0.0
    yours = k + declared_term  # your code's ∇R = yours · W
    w = f"W{sup(layer)}"
    if declared.regularization is None:
        what = (
            f"your code adds an L2 gradient {yours:.4g}·{w}, as from regularization: "
            f"{{l2: {yours / 2:.4g}}} (or {{half_l2: {yours:.4g}}}); declare it"
        )
    elif abs(yours) <= 1e-3 * abs(declared_term):
        what = (
            f"your code leaves out the gradient {declared.regularization.penalty.gradient_term} "
            f"of the declared regularization {declared.regularization.label}; add it to your "
            "backward or leave regularization out"
        )
    else:
        what = (
            f"your code's L2 gradient is {yours:.4g}·{w} where the declared "
            f"{declared.regularization.label} gives {declared_term:.4g}·{w}; declare l2: "
            f"{yours / 2:.4g} (or half_l2: {yours:.4g})"
        )
    sentence = f"{symbol} − the finite differences = {k:.4g}·{w}: {what}, {_MISMATCH}."
    return Hint("convention", sentence)


def forward_hint(
    yours: float, config: float, *, declared: Declared, squared_weights: float
) -> str | None:
    """What explains a forward row's difference: a factor a key declares, or an L2 term."""
    B, n = declared.batch_size, declared.output_units
    factors = []
    if declared.reduce == "mean" and B > 1:
        factors.append((B, f"Your loss is B × the config's (B = {B}): it sums over the batch; "
                           "declare reduce: sum"))  # fmt: skip
    if declared.reduce == "sum" and B > 1:
        factors.append((1 / B, f"Your loss is 1/B × the config's (B = {B}): it averages over "
                               "the batch; declare reduce: mean"))  # fmt: skip
    if declared.loss == "mse" and n != 2:
        factors.append((n / 2, f"Your loss is n/2 × the config's (n = {n} outputs): it is "
                               "½ Σ(y − a)² where mse is (1/n) Σ(y − a)²; declare loss: "
                               "half_sse"))  # fmt: skip
    if declared.loss == "half_sse" and n != 2:
        factors.append((2 / n, f"Your loss is 2/n × the config's (n = {n} outputs): it is the "
                               "mean (1/n) Σ(y − a)²; declare loss: mse"))  # fmt: skip
    factors += [
        (0.5, "Your loss is ½ × the config's: declare the loss your code computes (half_sse for "
              "½ Σ(y − a)², or a formula loss)"),
        (2.0, "Your loss is 2 × the config's: declare the loss your code computes (or a formula "
              "loss)"),
    ]  # fmt: skip
    for factor, sentence in factors:
        if config != 0 and np.isclose(yours / config, factor, rtol=1e-6):
            return f"{sentence}, {_MISMATCH}."
    return _forward_l2(yours - config, declared, squared_weights)


def _forward_l2(difference: float, declared: Declared, squared_weights: float) -> str | None:
    """A difference that an L2 term of another strength would make."""
    if squared_weights <= 0:
        return None
    regularization = declared.regularization
    declared_penalty = regularization.coefficient * squared_weights if regularization else 0.0
    strength = (declared_penalty + difference) / squared_weights  # yours = strength · Σ‖W‖²
    if regularization is None:
        if difference <= 0:
            return None
        return (
            f"If the difference is an L2 term, it is {strength:.4g} · Σ‖W‖²: declare "
            f"regularization: {{l2: {strength:.4g}}} (or {{half_l2: {2 * strength:.4g}}}), "
            f"{_MISMATCH}."
        )
    if abs(strength) <= 1e-6 * regularization.coefficient:
        return (
            f"The difference is the declared penalty ({regularization.label}): your loss has no "
            f"L2 term; add it, or leave regularization out, {_MISMATCH}."
        )
    return (
        f"If the difference is in the L2 term, yours is {strength:.4g} · Σ‖W‖² where the config "
        f"declares {regularization.label}: declare regularization: {{l2: {strength:.4g}}} (or "
        f"{{half_l2: {2 * strength:.4g}}}), {_MISMATCH}."
    )
