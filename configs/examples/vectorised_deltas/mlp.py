"""A fully-connected classifier written with whole-batch matrix operations: samples are rows,
W^j has shape (units_j, units_{j-1}), ReLU hidden layers, a softmax output and the mean
cross-entropy over the batch. backward returns the gradients and also the deltas, one per layer:
delta^j = ∂(mean loss)/∂z^j, of shape (batch, units_j).

Convention shown (see mlp.yaml): the defaults (rows, out_in weights, flat biases, one-hot labels,
reduce mean) and returns [dW, db, phi], so bpcheck checks the deltas too. No adapter: backward
already takes lists of arrays.
"""

import numpy as np


def relu(z):
    return np.maximum(z, 0)


def relu_prime(z):
    return (z > 0).astype(z.dtype)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward(weights, biases, x):
    """The weighted inputs z^1..z^J and the activations a^0 = x, a^1..a^J."""
    zs, activations = [], [x]
    for j, (W, b) in enumerate(zip(weights, biases, strict=True)):
        z = activations[-1] @ W.T + b
        zs.append(z)
        activations.append(softmax(z) if j == len(weights) - 1 else relu(z))
    return zs, activations


def loss(weights, biases, x, y):
    """The mean cross-entropy of the batch; y is one-hot."""
    probabilities = forward(weights, biases, x)[1][-1]
    return -np.sum(y * np.log(probabilities)) / len(x)


def backward(weights, biases, x, y):
    """(dW, db, deltas) of the mean cross-entropy, each a list over the layers."""
    zs, activations = forward(weights, biases, x)
    delta = (activations[-1] - y) / len(x)  # softmax with cross-entropy: (a − y), batch mean
    deltas = [delta]
    for j in range(len(weights) - 2, -1, -1):
        delta = (delta @ weights[j + 1]) * relu_prime(zs[j])
        deltas.insert(0, delta)
    dW = [d.T @ a for d, a in zip(deltas, activations[:-1], strict=True)]
    db = [d.sum(axis=0) for d in deltas]
    return dW, db, deltas


def train(weights, biases, x, y, learning_rate=0.1, epochs=100):
    """Full-batch gradient descent; updates the lists in place."""
    for _ in range(epochs):
        dW, db, _ = backward(weights, biases, x, y)
        for j in range(len(weights)):
            weights[j] = weights[j] - learning_rate * dW[j]
            biases[j] = biases[j] - learning_rate * db[j]
