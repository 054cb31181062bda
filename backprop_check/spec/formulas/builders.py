"""Activations and losses built from a config's formulas, for the core's registries' shape.

The core's :class:`~backprop_check.core.activations.Activation` and
:class:`~backprop_check.core.losses.Loss` know nothing of formulas; fields not set here keep
their dataclass defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ...core.activations import Activation
from ...core.losses import Loss
from ...errors import BackpropCheckError, KeyPath
from .compiler import Expression

__all__ = ["check_complex_step", "formula_activation", "formula_loss"]


def formula_activation(name: str, value: Expression, derivative: Expression) -> Activation:
    """An activation written as formulas in x (a config's ``activations:`` section)."""
    return Activation(
        name=name,
        value=lambda z: value(x=z),
        derivative=lambda z: derivative(x=z),
        formula=value.text,
        derivative_formula=derivative.text,
        complex_safe=value.complex_safe and derivative.complex_safe,
    )


def formula_loss(name: str, value: Expression, gradient: Expression, reduce: str) -> Loss:
    """A loss written as formulas in yhat and y, per output element, summed or averaged over
    the output units (a config's ``losses:`` section)."""
    combine = np.sum if reduce == "sum" else np.mean
    return Loss(
        name=name,
        value=lambda output, y: combine(value(yhat=output.a, y=y), axis=-1),
        gradient=lambda a, y: gradient(yhat=a, y=y) / (1 if reduce == "sum" else a.shape[-1]),
        formula=f"L = {reduce} over outputs of {value.text}",
        gradient_formula=f"∇_a L = {gradient.text}" + ("" if reduce == "sum" else " / n"),
        complex_safe=value.complex_safe and gradient.complex_safe,
    )


def check_complex_step(
    method: str,
    activations_used: Sequence[str],
    loss: str,
    activations: Mapping[str, Activation],
    losses: Mapping[str, Loss],
    path: KeyPath,
) -> None:
    """The complex step needs complex-analytic functions; some formulas are not.

    ``activations_used`` names the layers' activations; ``activations`` and ``losses`` are the
    config's own (built-ins are all complex-analytic).
    """
    if method != "complex-step":
        return
    unsafe = [name for name in activations_used if name in activations]
    unsafe = [name for name in unsafe if not activations[name].complex_safe]
    if loss in losses and not losses[loss].complex_safe:
        unsafe.append(loss)
    if unsafe:
        raise BackpropCheckError(
            f"complex-step needs complex-analytic formulas, and {', '.join(sorted(set(unsafe)))} "
            f"{'uses' if len(set(unsafe)) == 1 else 'use'} abs, sign, where, maximum, minimum, "
            "clip or a comparison; use central or richardson.",
            key_path=path,
        )
