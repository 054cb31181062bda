"""The multi-layer perceptron: z^j = a^{j-1} (W^j)ᵀ + b^j, a^j = σ(z^j), samples as rows.

Layers are numbered 1…J as in docs/derivation.md#notation; W^j has shape (units_j, units_{j-1}),
b^j (units_j,).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .activations import Activation
from .losses import LabelKind, Loss, NetworkOutput

__all__ = ["Network", "Trace", "init_network", "random_batch"]

Array = np.ndarray


@dataclass(frozen=True)
class Trace:
    """A forward pass: pre-activations z^1…z^J and activations a^0 = x, a^1…a^J."""

    zs: tuple[Array, ...]
    activations: tuple[Array, ...]

    def z(self, layer: int) -> Array:
        return self.zs[layer - 1]

    def a(self, layer: int) -> Array:
        return self.activations[layer]


@dataclass(frozen=True)
class Network:
    """Weights, biases, activations and loss of an MLP. ``weights[j-1]`` is W^j."""

    weights: tuple[Array, ...]
    biases: tuple[Array, ...]
    activation_fns: tuple[Activation, ...]
    loss: Loss

    @property
    def depth(self) -> int:
        """J, the number of layers."""
        return len(self.weights)

    def activation(self, layer: int) -> Activation:
        return self.activation_fns[layer - 1]

    def W(self, layer: int) -> Array:
        return self.weights[layer - 1]

    def b(self, layer: int) -> Array:
        return self.biases[layer - 1]

    def forward(self, x: Array) -> Trace:
        """z^j = a^{j-1} (W^j)ᵀ + b^j and a^j = σ(z^j) for j = 1…J."""
        return self.forward_from(1, x @ self.W(1).T + self.b(1), prefix=(x,))

    def forward_from(self, layer: int, z: Array, *, prefix: Sequence[Array]) -> Trace:
        """Continue a forward pass from a given z^layer; ``prefix`` is a^0…a^{layer-1}."""
        zs = [z]
        activations = [*prefix, self.activation(layer).value(z)]
        for j in range(layer + 1, self.depth + 1):
            zs.append(activations[-1] @ self.W(j).T + self.b(j))
            activations.append(self.activation(j).value(zs[-1]))
        return Trace(zs=tuple(zs), activations=tuple(activations))

    def output(self, z_last: Array, a_last: Array | None) -> NetworkOutput:
        return NetworkOutput(z_last, a_last, self.activation(self.depth))

    def sample_losses(self, z_last: Array, a_last: Array | None, y: Array) -> Array:
        """L_s for every sample s, from the last layer's z^J (and a^J when already known)."""
        return self.loss.value(self.output(z_last, a_last), y)

    def mean_loss(self, x: Array, y: Array) -> float:
        """L = mean over samples of L_s."""
        trace = self.forward(x)
        return float(np.mean(self.sample_losses(trace.zs[-1], trace.activations[-1], y)))


def _init_std(scheme: str, fan_in: int, fan_out: int, activation: Activation) -> float:
    if scheme == "auto":
        scheme = activation.default_init
    if scheme == "he":
        return float(np.sqrt(2.0 / fan_in))
    if scheme == "xavier":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    return 1.0


def init_network(
    *,
    input_size: int,
    units: Sequence[int],
    activations: Sequence[Activation],
    loss: Loss,
    init: str,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float64,
) -> Network:
    """Random weights by ``init`` (auto | he | xavier | normal) and small random biases."""
    sizes = [input_size, *units]
    weights, biases = [], []
    for fan_in, fan_out, activation in zip(sizes[:-1], sizes[1:], activations, strict=True):
        std = _init_std(init, fan_in, fan_out, activation)
        weights.append((rng.standard_normal((fan_out, fan_in)) * std).astype(dtype))
        # Non-zero biases, so ∇b is checked at a generic point rather than at b = 0.
        biases.append((rng.standard_normal(fan_out) * 0.1).astype(dtype))
    return Network(
        weights=tuple(weights),
        biases=tuple(biases),
        activation_fns=tuple(activations),
        loss=loss,
    )


def random_batch(
    *,
    batch_size: int,
    input_size: int,
    output_size: int,
    labels: LabelKind,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float64,
) -> tuple[Array, Array]:
    """x ~ N(0, 1) and labels of the loss's kind: one-hot rows, 0/1, or N(0, 1)."""
    x = rng.standard_normal((batch_size, input_size))
    if labels == "one-hot":
        y = np.eye(output_size)[rng.integers(0, output_size, size=batch_size)]
    elif labels == "binary":
        y = rng.integers(0, 2, size=(batch_size, output_size)).astype(np.float64)
    else:
        y = rng.standard_normal((batch_size, output_size))
    return x.astype(dtype), y.astype(dtype)
