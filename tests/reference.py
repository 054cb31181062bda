"""The slow reference: loss values with one parameter or pre-activation perturbed at a time.

Each perturbation recomputes the whole network from scratch, so it shares nothing with the
batched engine it checks but the network's own forward pass.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from backprop_check.core.network import Network, Trace
from backprop_check.numeric.targets import Target

Array = np.ndarray


def perturbed_losses(
    network: Network, x: Array, y: Array, trace: Trace, target: Target, step: float
) -> Array:
    """For each element of the target alone, the loss after adding ``step`` to it.

    W and b give the batch loss L. φ perturbs z^j of one sample s and gives that sample's L_s,
    so the slope is the seed's per-sample φ^j_s directly.
    """
    if target.quantity == "phi":
        return _perturbed_sample_losses(network, y, trace, target.layer, step)
    return _perturbed_batch_losses(network, x, y, target, step)


def _perturbed_batch_losses(
    network: Network, x: Array, y: Array, target: Target, step: float
) -> Array:
    tensors = network.weights if target.quantity == "W" else network.biases
    original = tensors[target.layer - 1]
    losses = np.empty(original.shape)
    for index in np.ndindex(original.shape):
        moved = original.copy()
        moved[index] += step
        replaced = tuple(moved if t is original else t for t in tensors)
        field = "weights" if target.quantity == "W" else "biases"
        losses[index] = dataclasses.replace(network, **{field: replaced}).mean_loss(x, y)
    return losses


def _perturbed_sample_losses(
    network: Network, y: Array, trace: Trace, layer: int, step: float
) -> Array:
    z = trace.z(layer)
    prefix = trace.activations[:layer]
    losses = np.empty(z.shape)
    for index in np.ndindex(z.shape):
        moved = z.copy()
        moved[index] += step
        after = network.forward_from(layer, moved, prefix=prefix)
        sample = index[0]
        losses[index] = network.sample_losses(after.zs[-1], after.activations[-1], y)[sample]
    return losses
