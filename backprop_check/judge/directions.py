"""The directional check (``--directions K``): ⟨analytic, v⟩ against L's slope along random v.

K directional derivatives cost K (or 2K) forward passes whatever the tensor's size, and a wrong
element shows in every direction with a component along it. A failing tensor is then checked
element by element, so the report still points at the elements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ..numeric.finite_differences import Method
from ..numeric.targets import QUANTITIES, Target
from ..report.data import ProgressEvent, QuantityCheck
from .checked_loss import CheckedLoss
from .compare import compare
from .rows import no_verdict

__all__ = ["check_directions", "random_directions"]

Array = np.ndarray


def random_directions(
    shape: tuple[int, ...], count: int, *, seed: int, target: Target
) -> Iterator[Array]:
    """``count`` unit vectors of the tensor's shape, uniform on the sphere, the same every run.

    One at a time: a direction of a large W^j is as large as W^j, and only its move of z^j
    (:meth:`PerturbationEngine.direction_move`) and its projection need to be kept.
    """
    rng = np.random.default_rng([seed, target.layer, QUANTITIES.index(target.quantity), 1])
    for _ in range(count):
        direction = rng.standard_normal(shape)
        direction /= np.linalg.norm(direction)
        yield direction


def check_directions(
    engine: CheckedLoss,
    method: Method,
    target: Target,
    analytic: Array,
    *,
    count: int,
    step: float,
    rtol: float,
    atol: float,
    seed: int,
    progress: Callable[[ProgressEvent], None] | None = None,
    label: str = "",
) -> QuantityCheck:
    """One row: directional derivatives along ``count`` random directions against ⟨analytic, v⟩."""
    projected, moves = np.empty(count), []
    for k, direction in enumerate(
        random_directions(engine.shape(target), count, seed=seed, target=target)
    ):
        projected[k] = np.vdot(direction, analytic)
        moves.append(engine.direction_move(target, direction))
    stacked = np.stack(moves)

    def directions() -> Iterator[Array]:  # the same directions again, drawn from the same seed
        return random_directions(engine.shape(target), count, seed=seed, target=target)

    estimate = method.estimate(
        lambda h: engine.direction_changes(target, h, stacked, directions), step
    )
    if progress is not None:
        progress(ProgressEvent(label=label, completed=count, total=count))
    numeric = np.real(estimate.derivative)
    unresolved, why = no_verdict(
        losses=engine.sample_losses,
        numeric=numeric,
        analytic=projected,
        unjudged=0,
        fail_on_kinks=False,
    )
    return QuantityCheck(
        layer=target.layer,
        quantity=target.quantity,
        equation=target.equation(engine.network.depth),
        comparison=compare(projected, numeric, rtol=rtol, atol=atol),
        mode="directions",
        tensor_shape=engine.shape(target),
        error_estimate=None if estimate.error is None else float(np.max(estimate.error)),
        note=why
        or f"{count} random direction{'s' if count > 1 else ''}; the index is a direction's.",
        unresolved=unresolved,
    )
