"""The runtime objects a config describes: the network and the batch it is checked on."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..core.network import Network, init_network, random_batch
from .config import Config

__all__ = ["build_problem"]

Array = np.ndarray


def build_problem(config: Config) -> tuple[Network, Array, Array]:
    """The network and the batch (x, y) a config describes; the same seed gives the same numbers.

    A ``data:`` file supplies the batch (its first ``batch_size`` rows) and, when it has them,
    the parameters; everything else is drawn from the random seed.
    """
    rng = np.random.default_rng(config.seed)
    dtype = np.dtype(config.dtype)
    loss = config.loss_function()
    network = init_network(
        input_size=config.input_size,
        units=[layer.units for layer in config.layers],
        activations=[config.activation(layer.activation) for layer in config.layers],
        loss=loss,
        init=config.init,
        rng=rng,
        dtype=dtype,
    )
    data = config.data
    if data is None:
        x, y = random_batch(
            batch_size=config.batch_size,
            input_size=config.input_size,
            output_size=config.layers[-1].units,
            labels=loss.labels,
            rng=rng,
            dtype=dtype,
        )
        return network, x, y
    if data.weights is not None and data.biases is not None:
        network = dataclasses.replace(
            network,
            weights=tuple(w.astype(dtype) for w in data.weights),
            biases=tuple(b.astype(dtype) for b in data.biases),
        )
    rows = slice(0, config.batch_size)
    return network, data.x[rows].astype(dtype), data.y[rows].astype(dtype)
