"""A two-layer fully-connected classifier in the style of the CS231n assignments:
affine - ReLU - affine - softmax, with the weights of each layer shaped (inputs, outputs), integer
class labels, the softmax cross-entropy averaged over the batch and an L2 penalty reg·Σ‖W‖².

Convention shown (see two_layer_net.yaml): weights in_out, labels index, reduce mean, the L2 term
declared as regularization, and loss() returning (loss, grads) with grads a dict that
bpcheck_adapter.py unpacks.
"""

import numpy as np


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {
            "W1": std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }

    def loss(self, X, y=None, reg=0.0):
        """Class scores for X (N, D) if y is None; else (loss, grads) for the labels y (N,)."""
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N = X.shape[0]

        # Forward pass.
        hidden = np.maximum(0, X @ W1 + b1)
        scores = hidden @ W2 + b2
        if y is None:
            return scores

        shifted = scores - scores.max(axis=1, keepdims=True)  # for a stable softmax
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        data_loss = -np.log(probs[np.arange(N), y]).sum() / N
        reg_loss = reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        loss = data_loss + reg_loss

        # Backward pass.
        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads["W2"] = hidden.T @ dscores + 2 * reg * W2
        grads["b2"] = dscores.sum(axis=0)
        dhidden = dscores @ W2.T
        dhidden[hidden <= 0] = 0
        grads["W1"] = X.T @ dhidden + 2 * reg * W1
        grads["b1"] = dhidden.sum(axis=0)
        return loss, grads

    def train(self, X, y, learning_rate=1e-3, reg=5e-6, num_iters=100, batch_size=200):
        """Minibatch stochastic gradient descent; returns the loss of every iteration."""
        history = []
        for _ in range(num_iters):
            batch = np.random.choice(X.shape[0], batch_size)
            loss, grads = self.loss(X[batch], y[batch], reg=reg)
            history.append(loss)
            for name in self.params:
                self.params[name] -= learning_rate * grads[name]
        return history

    def predict(self, X):
        return np.argmax(self.loss(X), axis=1)
