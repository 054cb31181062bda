"""Options given with a call (the command line's ``--eps``, ``--method``, ...) applied to a config.

Options are named by their keys here (``eps``, ``batch_size``); how a caller spells them (the
CLI's ``--batch-size``) is the caller's business: errors are marked ``from_option`` and name
options through :class:`~backprop_check.errors.Option` parts.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ..errors import BackpropCheckError, ConfigError, Option
from .formulas import check_complex_step
from .schema import (
    DTYPES,
    KINK_POLICIES,
    MAX_SEED,
    choice,
    int_at_least,
    positive_float,
    validate_method,
)

if TYPE_CHECKING:
    from .model import CheckOptions, Config

__all__ = ["OPTIONS_SOURCE", "apply_overrides"]

# The source named in errors about options.
OPTIONS_SOURCE = "command line"


def apply_overrides(config: Config, **options: Any) -> Config:
    """``config`` with the options that are not None applied (see ``Config.with_overrides``)."""
    try:
        check = _check_options(config, options)
        changes: dict[str, Any] = {"check": check}
        if options.get("seed") is not None:
            changes["seed"] = int_at_least(options["seed"], 0, ("seed",), maximum=MAX_SEED)
        if options.get("batch_size") is not None:
            changes["batch_size"] = _batch_size(config, options["batch_size"])
    except BackpropCheckError as error:
        raise ConfigError(
            error.parts,
            source=OPTIONS_SOURCE,
            key_path=error.key_path,
            from_option=True,
        ) from None
    return dataclasses.replace(config, **changes)


def _check_options(config: Config, options: dict[str, Any]) -> CheckOptions:
    check = config.check
    method, dtype = options.get("method"), options.get("dtype")
    if (method is not None and method != check.method) or (
        dtype is not None and dtype != check.dtype
    ):
        # Step and tolerances belong to a method and a precision: the file's were chosen for its
        # own.
        check = dataclasses.replace(check, eps=None, rtol=None, atol=None)
    changes: dict[str, Any] = {
        name: positive_float(options[name], (name,), step=name == "eps")
        for name in ("eps", "rtol", "atol")
        if options.get(name) is not None
    }
    if method is not None:
        changes["method"] = validate_method(method, ("method",))
        used = [layer.activation for layer in config.layers]
        check_complex_step(
            method, used, config.loss, config.custom_activations, config.custom_losses, ("method",)
        )
    if options.get("kinks") is not None:
        changes["kinks"] = choice(options["kinks"], KINK_POLICIES, ("kinks",), "kink policy")
    if dtype is not None:
        changes["dtype"] = choice(dtype, DTYPES, ("dtype",), "dtype")
    sample, directions = options.get("sample"), options.get("directions")
    if sample is not None and directions is not None:
        raise BackpropCheckError(
            ("choose either ", Option("sample"), " or ", Option("directions"), ", not both."),
            key_path=("sample",),
        )
    if sample is not None:
        changes["sample"] = int_at_least(sample, 1, ("sample",))
        changes["directions"] = None
    if directions is not None:
        changes["directions"] = int_at_least(directions, 1, ("directions",))
        changes["sample"] = None
    return dataclasses.replace(check, **changes)


def _batch_size(config: Config, value: Any) -> int:
    batch_size = int_at_least(value, 1, ("batch_size",))
    if config.data is not None and batch_size > config.data.x.shape[0]:
        raise BackpropCheckError(
            f"asks for {batch_size} rows but {config.data.path.name} has {config.data.x.shape[0]}.",
            key_path=("batch_size",),
        )
    return batch_size
