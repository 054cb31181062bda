"""A user's own backward in any declared conventions, written independently of bpcheck's code.

:func:`user_code` returns ``{"backward": ..., "loss": ...}`` for a small tanh network whose output
is softmax (categorical cross-entropy) or linear (mse, half_sse). It computes the gradients in one
internal form (rows, W (out, in), flat b, one-hot y) from first principles and hands them back in
the conventions asked for, as a user's code that keeps those conventions would. ``bug`` plants one
mistake a user makes, in the user's own conventions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Array = np.ndarray

INPUTS, HIDDEN = 3, 4
OUTPUTS = {"categorical_crossentropy": 3, "mse": 2, "half_sse": 2}
OUTPUT_ACTIVATION = {"categorical_crossentropy": "softmax", "mse": "linear", "half_sse": "linear"}
BATCH = 5


def config(cost: str = "categorical_crossentropy", **impl: Any) -> dict[str, Any]:
    """The config of that network (``cost``: its loss), with the ``impl:`` block ``impl`` (and
    ``regularization``, top level)."""
    regularization = impl.pop("regularization", None)
    document: dict[str, Any] = {
        "input_size": INPUTS,
        "layers": [
            {"units": HIDDEN, "activation": "tanh"},
            {"units": OUTPUTS[cost], "activation": OUTPUT_ACTIVATION[cost]},
        ],
        "loss": cost,
        "batch_size": BATCH,
        "seed": 3,
        "impl": impl,
    }
    if regularization is not None:
        document["regularization"] = regularization
    return document


def user_code(
    *,
    cost: str = "categorical_crossentropy",
    layout: str = "rows",
    per_sample: bool = False,
    weights: str = "out_in",
    biases: str = "flat",
    labels: str = "one_hot",
    returns: Sequence[str] = ("dW", "db"),
    reduce: str = "mean",
    regularization: dict[str, float] | None = None,
    bug: str | None = None,
) -> dict[str, Callable[..., Any]]:
    """backward and loss functions that keep these conventions (``per_sample`` changes nothing
    in them: they reduce whatever batch they are given)."""
    del per_sample
    loss = cost
    coefficient = _coefficient(regularization)

    def internal(ws: list[Array], bs: list[Array], x: Array, y: Array) -> tuple:
        ws = [w.T if weights == "in_out" else w for w in ws]
        bs = [np.reshape(b, -1) for b in bs]
        x = x.T if layout == "columns" else x
        if labels == "index":
            y = np.eye(OUTPUTS[loss])[np.asarray(y, dtype=int).reshape(-1)]
        elif layout == "columns":
            y = y.T
        return ws, bs, x, y

    def backward(ws: list[Array], bs: list[Array], x: Array, y: Array) -> Any:
        ws, bs, x, y = internal(ws, bs, x, y)
        grads = _gradients(ws, bs, x, y, loss=loss, coefficient=coefficient, bug=bug)
        scale = len(x) if (reduce == "sum") != (bug == "sum_for_mean") else 1
        dW = [scale * g for g in grads["dW_mean"]]
        db = [scale * g for g in grads["db_mean"]]
        dW = [g + 2 * coefficient * w for g, w in zip(dW, ws, strict=True)]
        if bug == "no_penalty":
            dW = [g - 2 * coefficient * w for g, w in zip(dW, ws, strict=True)]
        phi = [scale * p / len(x) for p in grads["phi"]]
        phi = grads["phi"] if bug == "phi_per_sample" else phi
        value = scale * grads["loss_mean"] + coefficient * sum(np.sum(w * w) for w in ws)
        value = value / 2 if bug == "half_loss" else value
        if bug != "transposed_dW":
            dW = [g.T if weights == "in_out" else g for g in dW]
        else:
            dW = [g if weights == "in_out" else g.T for g in dW]
        shape = {"flat": (-1,), "column": (-1, 1), "row": (1, -1)}[biases]
        db = [g.reshape((-1,) if bug == "flat_bias" else shape) for g in db]
        phi = [p.T if layout == "columns" else p for p in phi]
        results = {"dW": dW, "db": db, "phi": phi, "loss": value}
        order = list(returns)
        if bug == "swapped_returns":
            order = [{"dW": "db", "db": "dW"}.get(name, name) for name in order]
        if bug == "dict":
            return {name: results[name] for name in order}
        return tuple(results[name] for name in order)

    def loss_function(ws: list[Array], bs: list[Array], x: Array, y: Array) -> float:
        ws, bs, x, y = internal(ws, bs, x, y)
        per_sample = _forward(ws, bs, x, y, loss=loss)[2]
        scale = len(x) if reduce == "sum" else 1
        if bug == "half_loss":
            scale = scale / 2
        penalty = coefficient * sum(np.sum(w * w) for w in ws)
        return scale * np.mean(per_sample) + (0 if bug == "loss_no_penalty" else penalty)

    return {"backward": backward, "loss": loss_function}


def _coefficient(regularization: dict[str, float] | None) -> float:
    if not regularization:
        return 0.0
    (kind, strength), *_ = regularization.items()
    return strength if kind == "l2" else strength / 2


def _forward(ws: list[Array], bs: list[Array], x: Array, y: Array, *, loss: str) -> tuple:
    zs, activations = [], [x]
    for j, (w, b) in enumerate(zip(ws, bs, strict=True)):
        z = activations[-1] @ w.T + b
        zs.append(z)
        if j < len(ws) - 1:
            activations.append(np.tanh(z))
        elif loss == "categorical_crossentropy":
            shifted = np.exp(z - z.max(axis=1, keepdims=True))
            activations.append(shifted / shifted.sum(axis=1, keepdims=True))
        else:
            activations.append(z)
    out = activations[-1]
    if loss == "categorical_crossentropy":
        losses = -np.sum(y * np.log(out), axis=1)
    elif loss == "mse":
        losses = np.mean((y - out) ** 2, axis=1)
    else:
        losses = 0.5 * np.sum((y - out) ** 2, axis=1)
    return zs, activations, losses


def _gradients(ws, bs, x, y, *, loss: str, coefficient: float, bug: str | None) -> dict:
    """Per-sample φ^j and the batch-mean ∇W, ∇b of the per-sample losses (no penalty)."""
    del coefficient
    zs, activations, losses = _forward(ws, bs, x, y, loss=loss)
    out = activations[-1]
    if loss == "categorical_crossentropy":
        phi = out - y
    elif loss == "mse":
        phi = -2.0 / out.shape[1] * (y - out)
    else:
        phi = -(y - out)
    if bug == "output_sign":
        phi = -phi
    phis: list[Array] = [phi]
    for j in range(len(ws) - 1, 0, -1):
        slope = 1 - np.tanh(zs[j - 1]) ** 2
        if bug == "wrong_sigma_prime":
            slope = np.tanh(zs[j - 1])
        phis.insert(0, (phis[0] @ ws[j]) * slope)
    batch = len(x)
    dW = [p.T @ a / batch for p, a in zip(phis, activations[:-1], strict=True)]
    if bug == "wrong_activation_in_dW":
        dW[0] = phis[0].T @ np.tanh(activations[0]) / batch
    db = [p.sum(axis=0) / batch for p in phis]
    if bug == "db_first_sample":
        db[0] = phis[0][0].copy()
    return {"phi": phis, "dW_mean": dW, "db_mean": db, "loss_mean": float(np.mean(losses))}
