"""A network as a list of layer objects, each with forward and backward, in the style of many
"neural network from scratch" tutorials. Samples are column vectors, one at a time. Dense.backward
takes the gradient of its output, returns the gradient of its input and updates its own weights
and bias in place with the learning rate; Activation layers have no parameters.

Convention shown (see layers.yaml): layout columns, per_sample true, biases column; the adapter
reads the gradient off one training step with learning rate 1 (W − W after the step).
"""

import numpy as np


class Layer:
    def forward(self, x):
        raise NotImplementedError

    def backward(self, output_gradient, learning_rate):
        raise NotImplementedError


class Dense(Layer):
    """y = W x + b with W of shape (outputs, inputs) and b of shape (outputs, 1)."""

    def __init__(self, weights, bias):
        self.weights = weights
        self.bias = bias

    @classmethod
    def random(cls, input_size, output_size):
        return cls(np.random.randn(output_size, input_size), np.random.randn(output_size, 1))

    def forward(self, x):
        self.input = x
        return self.weights @ x + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = output_gradient @ self.input.T
        input_gradient = self.weights.T @ output_gradient
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient
        return input_gradient


class Activation(Layer):
    """An elementwise function and its derivative."""

    def __init__(self, activation, activation_prime):
        self.activation = activation
        self.activation_prime = activation_prime

    def forward(self, x):
        self.input = x
        return self.activation(x)

    def backward(self, output_gradient, learning_rate):
        return output_gradient * self.activation_prime(self.input)


class Tanh(Activation):
    def __init__(self):
        super().__init__(np.tanh, lambda x: 1 - x**2)  # the bug: 1 − tanh(x)²


class Sigmoid(Activation):
    def __init__(self):
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))

        super().__init__(sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x)))


def mse(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2)


def mse_prime(y_true, y_pred):
    return 2 * (y_pred - y_true) / np.size(y_true)


def predict(network, x):
    for layer in network:
        x = layer.forward(x)
    return x


def train(network, loss_prime, x_train, y_train, epochs=1000, learning_rate=0.01):
    """Stochastic gradient descent, one sample at a time."""
    for _ in range(epochs):
        for x, y in zip(x_train, y_train, strict=True):
            grad = loss_prime(y, predict(network, x))
            for layer in reversed(network):
                grad = layer.backward(grad, learning_rate)
