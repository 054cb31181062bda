"""A validated network spec as plain data: :class:`Config`, its layers and its check options."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.activations import ACTIVATIONS, Activation
from ..core.losses import LOSSES, Loss
from ..errors import ConfigError, KeyPath, format_key_path
from ..numeric.finite_differences import METHODS
from .data import Dataset
from .overrides import apply_overrides
from .schema import DEFAULT_BATCH_SIZE

__all__ = ["CheckOptions", "Config", "LayerSpec"]


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
