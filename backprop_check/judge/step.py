"""The finite-difference step a check can use: one that the dtype resolves at the network's scale.

A step so small that θ + ε keeps fewer than 4 bits of ε makes every difference rounding noise or
exactly 0: a user's such eps is bad input (exit 2, with the smallest usable one); the method's
default, the tool's own choice, is raised to the smallest usable step instead, and the report says
so.
"""

from __future__ import annotations

import math

from ..core.network import Network, Trace
from ..numeric.finite_differences import Method
from ..numeric.precision import largest_magnitude, smallest_step
from ..spec.config import Config

__all__ = ["usable_step"]


def usable_step(
    config: Config, network: Network, trace: Trace, *, method: Method
) -> tuple[float, list[str]]:
    """The step to use and the notes to report; raises ConfigError for an unusable eps."""
    eps = config.check.step
    values = [*network.weights, *network.biases, *trace.zs]
    smallest = smallest_step(values, method=method.name)
    if eps >= smallest:
        return eps, []
    scale = largest_magnitude(values)
    resolves = (
        f"is below what {config.dtype} resolves at this network's scale (its largest weight, "
        f"bias or pre-activation is {scale:.3g}): θ + eps keeps fewer than 4 bits of eps"
    )
    usable = _rounded_up(smallest)
    # A step of 1 or more is no longer a small change (configs refuse it): then the parameters
    # themselves are out of any step's reach, and that is the input's fault.
    if config.check.eps is None and eps > 0 and float(usable) < 1:
        note = f"the default eps {eps:g} of {method.name} {resolves}, so eps {usable} is used."
        return float(usable), [note]
    raise config.error(
        "check.eps",
        f"eps {eps:g} {resolves}, so the differences would be rounding noise or exactly 0. "
        f"The smallest usable eps here is {usable} (check.eps or --eps).",
    )


def _rounded_up(value: float) -> str:
    """'4.4e-04' for 4.31e-4: two digits, never below the value (it is a smallest usable one)."""
    exponent = math.floor(math.log10(value)) - 1
    return f"{math.ceil(value / 10.0**exponent) * 10.0**exponent:.1e}"
