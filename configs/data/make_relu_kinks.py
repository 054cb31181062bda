"""Writes relu_kinks.npz: a batch and parameters that put ReLU pre-activations on their kink.

Inputs are small integers and weights multiples of 1/2, so many z = W a + b come out exactly 0 in
floating point; a few biases of 3e-7 put other pre-activations within eps = 1e-6 of 0. A central
difference across z = 0 measures the average of the two slopes, not ReLU'(0) = 0: a naive check
fails there although the backpropagation is right. Run from the repository root:

    python configs/data/make_relu_kinks.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def build() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2021)
    x = rng.integers(-1, 2, size=(6, 4)).astype(np.float64)
    x[0] = 0.0  # a zero sample: with zero biases every unit of layer 1 sits exactly on its kink
    w1 = rng.integers(-1, 2, size=(6, 4)) / 2.0
    b1 = np.zeros(6)
    b1[[1, 4]] = 3e-7  # within eps of the kink rather than on it
    z1 = x @ w1.T + b1
    w2 = rng.integers(-1, 2, size=(5, 6)) / 2.0
    b2 = np.zeros(5)
    b2[2] = -3e-7
    w3 = rng.standard_normal((3, 5))
    b3 = rng.standard_normal(3) * 0.1
    y = np.eye(3)[rng.integers(0, 3, size=6)]
    assert np.count_nonzero(z1 == 0) >= 6
    return {"x": x, "y": y, "W1": w1, "b1": b1, "W2": w2, "b2": b2, "W3": w3, "b3": b3}


if __name__ == "__main__":
    np.savez(HERE / "relu_kinks.npz", **build())
