"""The analytic side of a check: the gradients to compare, the loss they are of, your loss.

The built-in steps (some replaced by your hooks) give per-sample φ and batch-mean ∇W and ∇b, with
the declared penalty's gradient added to Eq. 3 (∇W^j + 2cW^j). A whole backward of yours gives its
gradients in your conventions and reduction (:mod:`.user_backward`); the finite differences are
then scaled to the same loss (:class:`.checked_loss.Scale`), and the forward row compares your
loss (impl.loss, or a loss your backward returns) with the config's network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from ..core.backprop import Gradients, Steps, backward
from ..core.network import Network, Trace
from ..errors import BackpropCheckError
from ..numeric.finite_differences import Method
from ..report.data import ForwardCheck
from .checked_loss import Scale, UserLossCalls, too_many_calls
from .convention_hints import Declared, forward_hint

if TYPE_CHECKING:
    from ..numeric.targets import Target
    from ..spec.config import Config
    from .hooks import UserCode
    from .user_backward import UserBackward

__all__ = [
    "AnalyticResult",
    "AnalyticSide",
    "analytic_result",
    "declared",
    "forward_row",
    "guard_user_loss_calls",
    "located",
    "withheld",
]

Array = np.ndarray
# Built-in steps with some replaced, your whole backward, or a function giving every gradient.
# A string: your backward's module (.user_backward) is imported only where there is one.
AnalyticSide: TypeAlias = "Steps | UserBackward | Callable[[Network, Trace, Array], Gradients]"


@dataclass(frozen=True)
class AnalyticResult:
    """The gradients to check, how the checked loss is scaled, and your loss if you gave one."""

    gradients: Gradients
    scale: Scale
    user_loss: UserLossCalls | None = None
    your_loss: float | None = None
    loss_source: str = ""


def located(config: Config, error: BackpropCheckError) -> BackpropCheckError:
    """An error about a key of the config, located in its file (line and key)."""
    if not error.key_path or error.from_option:
        return error
    return config.error(error.key_path, error.message)


def analytic_result(
    config: Config, network: Network, x: Array, y: Array, trace: Trace, side: AnalyticSide
) -> AnalyticResult:
    """Run the analytic side on the batch."""
    regularization = config.regularization
    coefficient = regularization.coefficient if regularization is not None else 0.0
    if isinstance(side, Steps):
        gradients = backward(network, trace, y, side)
        return AnalyticResult(_penalised(gradients, network, coefficient), Scale(1, 1, coefficient))
    yours = _your_backward(side)
    if yours is None:  # a mutant of the selftest, or a test's own
        return AnalyticResult(side(network, trace, y), Scale(1, 1, coefficient))
    from .conventions import ConventionError

    try:
        results = yours.run(network, x, y)
        conventions, batch = yours.conventions, len(x)
        scale = Scale(conventions.loss_factor(batch), conventions.phi_factor(batch), coefficient)
        user_loss = UserLossCalls(yours, network, x, y) if yours.loss is not None else None
    except ConventionError as mismatch:
        raise located(config, mismatch) from None
    if user_loss is not None:
        return AnalyticResult(results.gradients, scale, user_loss, user_loss.base, yours.spec.loss)
    return AnalyticResult(results.gradients, scale, None, results.loss, yours.spec.backward)


def _your_backward(side: object) -> UserBackward | None:
    """``side`` when it is your whole backward, else None. The built-in steps never are: they
    are told apart without importing your backward's module."""
    if isinstance(side, Steps):
        return None
    from .user_backward import UserBackward

    return side if isinstance(side, UserBackward) else None


def _penalised(gradients: Gradients, network: Network, coefficient: float) -> Gradients:
    """Eq. 3 + ∇R: ∇W^j + 2c W^j, the declared penalty's gradient added."""
    if not coefficient:
        return gradients
    from ..core.regularization import penalty_gradient

    dW = tuple(
        g + penalty_gradient(w, coefficient)
        for g, w in zip(gradients.dW, network.weights, strict=True)
    )
    return dataclasses.replace(gradients, dW=dW)


def declared(config: Config, side: object, batch: int) -> Declared:
    """What the config declares about the loss the analytic side's gradients are of."""
    yours = _your_backward(side)
    spec = yours.spec if yours is not None else None
    return Declared(
        loss=config.loss,
        batch_size=batch,
        output_units=config.layers[-1].units,
        reduce=spec.reduce if spec is not None else None,
        regularization=config.regularization,
        user_phi=spec is not None and spec.returns_phi,
    )


def forward_row(
    result: AnalyticResult,
    network: Network,
    sample_losses: Array,
    *,
    rtol: float,
    atol: float,
    declared: Declared,
) -> ForwardCheck | None:
    """Your loss against the config's network at the same parameters: s · mean_s L_s + R."""
    if result.your_loss is None:
        return None
    from ..core.regularization import penalty_value

    squared = penalty_value(network.weights, 1.0)
    config_loss = result.scale.params * float(np.mean(sample_losses)) + penalty_value(
        network.weights, result.scale.coefficient
    )
    yours = float(result.your_loss)
    passed = bool(abs(yours - config_loss) <= max(atol, rtol * max(abs(yours), abs(config_loss))))
    hint = None
    if not passed:
        hint = forward_hint(yours, config_loss, declared=declared, squared_weights=squared)
    return ForwardCheck(yours, config_loss, passed, result.loss_source, hint)


def guard_user_loss_calls(
    config: Config, user_loss: UserLossCalls | None, sizes: list[int], method: Method
) -> None:
    """Refuse, before anything runs, a check that would call your loss too many times.

    ``sizes`` are the elements of each ∇W and ∇b tensor.
    """
    if user_loss is None:
        return
    if method.complex:
        raise config.error(
            ("impl", "loss"),
            "the complex step pushes complex numbers through your loss, which your code need "
            "not support; choose another method (check.method or --method) with impl.loss.",
        )
    options = config.check
    if options.mode == "directions":
        per_tensor = [options.directions or 1] * len(sizes)
    elif options.mode == "sample":
        per_tensor = [min(options.sample or 1, size) for size in sizes]
    else:
        per_tensor = sizes
    calls = user_loss.calls + sum(per_tensor) * method.evaluations * user_loss.per_value
    if calls > user_loss.limit:
        raise located(config, too_many_calls(calls, user_loss.limit))


def withheld(
    target: Target, analytic: Array | None, user_code: UserCode | None, forward: ForwardCheck | None
) -> str | None:
    """Why a row is not checked: no φ from your backward, or your loss differs from the
    config's network (then the engine's φ is not of your loss); None when it is checked."""
    if analytic is None:
        code = user_code
        where = "your code" if code is None else code.path.name if code.path else code.name
        return f"not checked: backward() in {where} returns ∇W and ∇b only, no φ."
    if target.quantity == "phi" and forward is not None and not forward.passed:
        return "not checked: your loss differs from the config's network (the forward row)."
    return None
