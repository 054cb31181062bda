"""A validated network spec as plain data: :class:`Config`, its layers and its check options."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.activations import ACTIVATIONS, Activation
from ..core.losses import LOSSES, Loss
from ..errors import BackpropCheckError, ConfigError, KeyPath, Option, format_key_path
from ..numeric.finite_differences import METHODS
from .schema import (
    DEFAULT_BATCH_SIZE,
    DTYPES,
    KINK_POLICIES,
    MAX_SEED,
    choice,
    int_at_least,
    positive_float,
    validate_method,
)

if TYPE_CHECKING:  # read only for configs that have these sections (spec.config)
    from ..core.regularization import Regularization
    from .data import Dataset
    from .impl_section import ImplSpec

__all__ = ["OPTIONS_SOURCE", "CheckOptions", "Config", "LayerSpec", "apply_overrides"]


@dataclass(frozen=True)
class LayerSpec:
    """One layer: ``units`` neurons followed by ``activation``."""

    units: int
    activation: str


@dataclass(frozen=True)
class CheckOptions:
    """How the numerical side is computed and judged.

    ``eps``, ``rtol`` and ``atol`` left as None take the method's defaults. An element fails only
    if rel > rtol AND |analytic − numeric| > atol. ``sample`` checks that many elements per
    tensor, ``directions`` that many random directional derivatives; neither means every element.
    """

    method: str = "central"
    eps: float | None = None
    rtol: float | None = None
    atol: float | None = None
    sample: int | None = None
    directions: int | None = None
    kinks: str = "report"
    dtype: str = "float64"

    @property
    def step(self) -> float:
        return self.eps if self.eps is not None else METHODS[self.method].defaults(self.dtype).eps

    @property
    def relative_tolerance(self) -> float:
        return (
            self.rtol if self.rtol is not None else METHODS[self.method].defaults(self.dtype).rtol
        )

    @property
    def absolute_tolerance(self) -> float:
        return (
            self.atol if self.atol is not None else METHODS[self.method].defaults(self.dtype).atol
        )

    @property
    def mode(self) -> str:
        """'sample', 'directions' or 'full'."""
        if self.sample is not None:
            return "sample"
        return "directions" if self.directions is not None else "full"


@dataclass(frozen=True)
class Config:
    """A validated network spec. Build one with :func:`~backprop_check.load_config`."""

    input_size: int
    layers: tuple[LayerSpec, ...]
    loss: str
    batch_size: int = DEFAULT_BATCH_SIZE
    seed: int = 0
    init: str = "auto"
    check: CheckOptions = field(default_factory=CheckOptions)
    source: str = "<dict>"
    data: Dataset | None = field(default=None, compare=False)
    # Your own backward and its conventions (impl:), and the L2 penalty in the checked loss.
    impl: ImplSpec | None = None
    regularization: Regularization | None = None
    # Activations and losses defined as formulas in the config, by name.
    custom_activations: Mapping[str, Activation] = field(default_factory=dict, compare=False)
    custom_losses: Mapping[str, Loss] = field(default_factory=dict, compare=False)
    # Where each key path ('layers[0].units') starts in the YAML file: (line, column).
    locations: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False)
    # The bytes the config was read from (YAML text, or canonical JSON of a mapping), for a hash
    # that identifies the run.
    text: str = field(default="", compare=False, repr=False)

    def error(self, key: str | KeyPath, message: str) -> ConfigError:
        """An error about this config's ``key``, located in its file when it came from one."""
        name = key if isinstance(key, str) else format_key_path(key)
        line, column = self.locations.get(name, (None, None))
        return ConfigError(message, source=self.source, key=name, line=line, column=column)

    @property
    def dtype(self) -> str:
        return self.check.dtype

    def activation(self, name: str) -> Activation:
        """The activation called ``name``: the config's own formulas first, then the built-ins."""
        return self.custom_activations.get(name) or ACTIVATIONS[name]

    def loss_function(self) -> Loss:
        return self.custom_losses.get(self.loss) or LOSSES[self.loss]

    def with_overrides(
        self,
        *,
        eps: float | None = None,
        rtol: float | None = None,
        atol: float | None = None,
        seed: int | None = None,
        batch_size: int | None = None,
        method: str | None = None,
        sample: int | None = None,
        directions: int | None = None,
        kinks: str | None = None,
        dtype: str | None = None,
    ) -> Config:
        """A copy with these options applied (None keeps the file's value).

        A bad value raises a :class:`~backprop_check.errors.ConfigError` from the source
        "command line", keyed by the option's name (``eps``) and marked ``from_option``.
        """
        return apply_overrides(
            self,
            eps=eps,
            rtol=rtol,
            atol=atol,
            seed=seed,
            batch_size=batch_size,
            method=method,
            sample=sample,
            directions=directions,
            kinks=kinks,
            dtype=dtype,
        )

    @property
    def sha256(self) -> str:
        """A hash of what the config was read from."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- options given with a call
# Options are named by their keys here (``eps``, ``batch_size``); how a caller spells them (the
# CLI's ``--batch-size``) is the caller's business: errors are marked ``from_option`` and name
# options through :class:`~backprop_check.errors.Option` parts.

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
        if config.custom_activations or config.custom_losses:  # built-ins are complex-analytic
            from .formulas import check_complex_step

            used = [layer.activation for layer in config.layers]
            check_complex_step(
                method,
                used,
                config.loss,
                config.custom_activations,
                config.custom_losses,
                ("method",),
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
