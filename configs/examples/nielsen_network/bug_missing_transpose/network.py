"""A feed-forward network trained by stochastic gradient descent, written the way many first
courses teach it: samples are column vectors, backprop works on one sample at a time and returns
the gradients of the per-sample cost C = ½‖a − y‖² as (nabla_b, nabla_w).

Convention shown (see network.yaml): layout columns, per_sample true, biases column, returns
[db, dW], loss ½Σ(y − a)² (the built-in half_sse). bpcheck_adapter.py is all it takes to check it.
"""

import random
from itertools import pairwise

import numpy as np


class Network:
    def __init__(self, sizes):
        """sizes[0] inputs, then the units of every layer, e.g. Network([4, 5, 3])."""
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(n, 1) for n in sizes[1:]]
        self.weights = [np.random.randn(n, m) for m, n in pairwise(sizes)]

    def feedforward(self, a):
        """The output for the input column a."""
        for b, w in zip(self.biases, self.weights, strict=True):
            a = sigmoid(w @ a + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta):
        """Train on a list of (x, y) column pairs."""
        for _ in range(epochs):
            random.shuffle(training_data)
            for k in range(0, len(training_data), mini_batch_size):
                self.update_mini_batch(training_data[k : k + mini_batch_size], eta)

    def update_mini_batch(self, mini_batch, eta):
        """One gradient step on the mean cost of the mini-batch."""
        sum_b = [np.zeros(b.shape) for b in self.biases]
        sum_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_b, delta_w = self.backprop(x, y)
            sum_b = [s + d for s, d in zip(sum_b, delta_b, strict=True)]
            sum_w = [s + d for s, d in zip(sum_w, delta_w, strict=True)]
        step = eta / len(mini_batch)
        self.weights = [w - step * s for w, s in zip(self.weights, sum_w, strict=True)]
        self.biases = [b - step * s for b, s in zip(self.biases, sum_b, strict=True)]

    def backprop(self, x, y):
        """(nabla_b, nabla_w): the gradient of the cost of the sample (x, y), layer by layer."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        # Forward pass, keeping every weighted input z and activation a.
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights, strict=True):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        # Backward pass: the output error first, then back through the hidden layers.
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = delta @ activations[-2].T
        for layer in range(2, self.num_layers):
            sp = sigmoid_prime(zs[-layer])
            delta = (self.weights[-layer + 1] @ delta) * sp  # the bug: W without its .T
            nabla_b[-layer] = delta
            nabla_w[-layer] = delta @ activations[-layer - 1].T
        return (nabla_b, nabla_w)

    def cost_derivative(self, output_activations, y):
        """∂C/∂a for C = ½‖a − y‖²."""
        return output_activations - y


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    """The derivative of the sigmoid."""
    return sigmoid(z) * (1 - sigmoid(z))
