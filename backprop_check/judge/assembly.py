"""A finished check as a report: its rows by layer, the diagnosis, warnings, and the raw arrays."""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..core.backprop import Gradients, Steps, special_case
from ..numeric.precision import precision_warnings
from ..numeric.targets import Target
from ..report.data import CheckReport, ForwardCheck, LayerReport, QuantityCheck
from .diagnosis import diagnose
from .rows import unjudged_warnings, unresolved_warnings

if TYPE_CHECKING:
    from ..core.network import Network
    from ..numeric.engine import PerturbationEngine
    from ..numeric.finite_differences import Method
    from ..spec.config import Config
    from .hooks import UserCode

__all__ = ["assemble_report"]

Array = np.ndarray


class Checker(Protocol):
    """What a report is assembled from: a finished check (judge.checker.Checker), described here
    by what is read of it, so that this module needs nothing from the one that calls it."""

    config: Config
    user_code: UserCode | None
    engine: PerturbationEngine
    method: Method
    network: Network
    gradients: Gradients
    step_notes: list[str]
    x: Array
    y: Array
    forward: ForwardCheck | None

    @property
    def analytic_side(self) -> object: ...

    @property
    def targets(self) -> list[Target]: ...

    def analytic(self, target: Target) -> Array | None: ...

    def judging_atol(self) -> float: ...


def assemble_report(
    checker: Checker, rows: Sequence[QuantityCheck], numeric: Mapping[Target, Array]
) -> CheckReport:
    """The report of ``checker``'s run: ``rows`` in check order, ``numeric`` per target."""
    config, options = checker.config, checker.config.check
    layers = [
        LayerReport(
            layer=j,
            units=spec.units,
            activation=spec.activation,
            checks=tuple(row for row in rows if row.layer == j),
        )
        for j, spec in enumerate(config.layers, start=1)
    ]
    user_code = checker.user_code
    diagnosis, first_failure = diagnose(
        layers,
        loss=config.loss,
        output_special_case=_special_case_formula(checker),
        forward=checker.forward,
        batch_size=checker.engine.batch_size,
    )
    return CheckReport(
        config=config.source,
        input_size=config.input_size,
        loss=config.loss,
        loss_value=float(np.mean(checker.engine.sample_losses)),
        method=checker.method.name,
        eps=options.step,
        rtol=options.relative_tolerance,
        atol=options.absolute_tolerance,
        seed=config.seed,
        batch_size=config.batch_size,
        layers=tuple(layers),
        diagnosis=diagnosis,
        first_failure=first_failure,
        forward=checker.forward,
        mode=options.mode,
        mode_count=options.sample if options.mode == "sample" else options.directions,
        dtype=config.dtype,
        kink_policy=options.kinks,
        config_sha256=config.sha256,
        data_sha256=config.data.sha256 if config.data is not None else None,
        versions=_versions(),
        impl=user_code.name if user_code is not None else None,
        warnings=tuple(checker.step_notes)
        + unresolved_warnings(layers, checker.judging_atol())
        + unjudged_warnings(layers)
        + _precision(checker),
        arrays=_arrays(checker, numeric),
        resolves=None
        if options.mode == "directions"
        else checker.method.resolves(
            config.dtype,
            eps=options.step,
            rtol=options.relative_tolerance,
            atol=options.absolute_tolerance,
        ),
    )


def _special_case_formula(checker: Checker) -> str | None:
    """The special case that computed φ^J, for the diagnosis; None for the general Eq. 1."""
    if not isinstance(checker.analytic_side, Steps):
        return None  # a whole backward of its own: no special case of ours computed φ^J
    special = special_case(checker.network, checker.analytic_side)
    return special.formula if special is not None else None


def _precision(checker: Checker) -> tuple[str, ...]:
    options = checker.config.check
    analytic = [
        (target.layer, target.quantity, tensor)
        for target in checker.targets
        if (tensor := checker.analytic(target)) is not None
    ]
    return precision_warnings(
        checker.network,
        checker.engine.trace,
        checker.engine.sample_losses,
        analytic,
        eps=options.step,
        atol=options.absolute_tolerance,
        method=checker.method.name,
    )


def _arrays(checker: Checker, numeric: Mapping[Target, Array]) -> dict[str, Array]:
    """What --save-arrays writes: the batch, the parameters, both gradients of W and b."""
    network, gradients = checker.network, checker.gradients
    arrays = {"x": checker.x, "y": checker.y}
    for j in range(1, network.depth + 1):
        arrays[f"W{j}"] = network.W(j)
        arrays[f"b{j}"] = network.b(j)
    for j in range(1, network.depth + 1):
        arrays[f"dW{j}"] = gradients.dW[j - 1]
        arrays[f"db{j}"] = gradients.db[j - 1]
        arrays[f"nW{j}"] = numeric[Target(j, "W")]
        arrays[f"nb{j}"] = numeric[Target(j, "b")]
    return arrays


def _versions() -> dict[str, str]:
    """What produced the numbers: enough to reproduce a run together with the config's hash."""
    from .._version import __version__

    return {"bpcheck": __version__, "numpy": np.__version__, "python": platform.python_version()}
