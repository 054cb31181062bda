"""Between the tool's conventions and yours: pure conversions, and what a mismatch says.

The tool keeps samples as rows, W^j as (units_j, units_{j-1}) (out_in), b^j flat and labels one-hot,
and its batch loss is the mean of the per-sample losses. ``impl:`` declares yours (see
:mod:`backprop_check.spec.impl_section`); :class:`Conventions` hands the parameters and the batch
over in them and reads what your backward returns back, so that every row compares like with like.
A result that fits another convention than the declared one is a :class:`ConventionError`
naming the ``impl`` key to change.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.notation import superscript as sup
from ..errors import BackpropCheckError
from ..spec.impl_section import BIAS_SHAPES, ImplSpec

__all__ = ["ConventionError", "Conventions", "Shapes", "combine"]

Array = np.ndarray
_SYMBOLS = {"dW": "∇W", "db": "∇b", "phi": "φ"}


class ConventionError(BackpropCheckError):
    """What your code returned fits other conventions than the declared ones.

    The key path names the key to change: ``("impl", "weights")``, or ``("layers",)`` when the
    config's network and your code disagree on the sizes; ``()`` when no key can fix it.
    """


@dataclass(frozen=True)
class Shapes:
    """The tool's shapes of one call's results: W^j, b^j and z^j (batch, units_j) per layer."""

    weights: tuple[tuple[int, int], ...]
    batch: int

    @property
    def depth(self) -> int:
        return len(self.weights)

    def units(self, layer: int) -> int:
        return self.weights[layer - 1][0]


@dataclass(frozen=True)
class Conventions:
    """The declared conventions of ``impl:``, with the conversions they mean."""

    spec: ImplSpec

    # ------------------------------------------------------------------ to yours

    def weights(self, weights: Sequence[Array]) -> list[Array]:
        """W^j as your code keeps it: out_in as is, in_out transposed; copies, so yours to keep."""
        return [w.T.copy() if self.spec.weights == "in_out" else w.copy() for w in weights]

    def biases(self, biases: Sequence[Array]) -> list[Array]:
        """b^j flat (n,), as a column (n, 1) or as a row (1, n)."""
        shape = {"flat": (-1,), "column": (-1, 1), "row": (1, -1)}[self.spec.biases]
        return [b.reshape(shape).copy() for b in biases]

    def inputs(self, x: Array) -> Array:
        """x with samples as rows (batch, inputs) or as columns (inputs, batch)."""
        return x.T.copy() if self.spec.layout == "columns" else x.copy()

    def labels(self, y: Array) -> Array:
        """y in the declared layout; index labels: the class of each sample, an integer (batch,)."""
        if self.spec.labels == "index":
            return _classes(y)
        return y.T.copy() if self.spec.layout == "columns" else y.copy()

    def calls(self, x: Array, y: Array) -> list[tuple[Array, Array]]:
        """The (x, y) of each call: the whole batch, or (per_sample) one sample at a time."""
        if not self.spec.per_sample:
            return [(self.inputs(x), self.labels(y))]
        return [(self.inputs(x[s : s + 1]), self.labels(y[s : s + 1])) for s in range(len(x))]

    # ------------------------------------------------------------------ scale

    def loss_factor(self, batch: int) -> float:
        """s in the loss your code differentiates, s · mean_s L_s + R: B for sum, 1 for mean."""
        return float(batch) if self.spec.reduce == "sum" else 1.0

    def phi_factor(self, batch: int) -> float:
        """Your φ^j = ∂(your loss)/∂z^j is s/B times the per-sample φ^j (1/B under mean)."""
        return self.loss_factor(batch) / batch

    # ------------------------------------------------------------------ from yours

    def read(self, result: Any, shapes: Shapes) -> dict[str, Any]:
        """One call's results, by ``returns``, in the tool's shapes (φ of this call's samples).

        Anything that fits other conventions is a :class:`ConventionError` naming the key.
        """
        names = self.spec.returns
        values = _unpack(result, names)
        _check_order(values, names, shapes, self)
        read: dict[str, Any] = {}
        for name, value in zip(names, values, strict=True):
            if name == "loss":
                read["loss"] = _number(value)
            else:
                arrays = _per_layer(value, name, shapes.depth)
                read[name] = [
                    self._array(name, j, array, shapes) for j, array in enumerate(arrays, start=1)
                ]
        return read

    def user_shape(self, name: str, layer: int, shapes: Shapes) -> tuple[int, ...]:
        """The shape the declared conventions give one layer's dW, db or φ."""
        out, inputs = shapes.weights[layer - 1]
        if name == "dW":
            return (inputs, out) if self.spec.weights == "in_out" else (out, inputs)
        if name == "db":
            return _bias_shape(self.spec.biases, out)
        batch = shapes.batch
        return (out, batch) if self.spec.layout == "columns" else (batch, out)

    def _array(self, name: str, layer: int, value: Any, shapes: Shapes) -> Array:
        array = _numbers(value, name, layer)
        expected = self.user_shape(name, layer, shapes)
        if array.shape != expected:
            raise _shape_mismatch(self, name, layer, array.shape, shapes)
        if name == "dW" and self.spec.weights == "in_out":
            return array.T
        if name == "db":
            return array.reshape(-1)
        if name == "phi" and self.spec.layout == "columns":
            return array.T
        return array


def combine(parts: Sequence[dict[str, Any]], *, reduce: str, batch: int) -> dict[str, Any]:
    """Per-sample results as one batch's: ∇W, ∇b and the loss by the reduction (mean or sum);
    φ stacked sample by sample, as ∂(the reduced loss)/∂z (÷ B under mean)."""
    combine_values = np.mean if reduce == "mean" else np.sum
    out: dict[str, Any] = {}
    for name in parts[0]:
        if name == "loss":
            out[name] = float(combine_values([part[name] for part in parts]))
        elif name == "phi":
            scale = 1.0 / batch if reduce == "mean" else 1.0
            layers = len(parts[0][name])
            out[name] = [
                np.concatenate([part[name][j] for part in parts]) * scale for j in range(layers)
            ]
        else:
            layers = len(parts[0][name])
            out[name] = [
                combine_values([part[name][j] for part in parts], axis=0) for j in range(layers)
            ]
    return out


# ---------------------------------------------------------------------------- helpers


def _classes(y: Array) -> Array:
    """The class of each one-hot row of y, as integers."""
    rows = np.asarray(y)
    one_hot = np.all((rows == 0) | (rows == 1), axis=1) & (rows.sum(axis=1) == 1)
    if not one_hot.all():
        sample = int(np.flatnonzero(~one_hot)[0])
        raise ConventionError(
            f"labels: index needs one-hot labels to take the class of, but sample {sample}'s "
            "label is not one-hot; use labels: one_hot.",
            key_path=("impl", "labels"),
        )
    return rows.argmax(axis=1).astype(np.int64)


def _bias_shape(form: str, units: int) -> tuple[int, ...]:
    return {"flat": (units,), "column": (units, 1), "row": (1, units)}[form]


def _unpack(result: Any, names: tuple[str, ...]) -> list[Any]:
    declared = f"[{', '.join(names)}]"
    if isinstance(result, dict):
        raise ConventionError(
            f"backward returned a dict (keys {', '.join(map(str, list(result)[:6]))}) where "
            f"returns declares {declared}: return a tuple in that order (unpack the dict in "
            "your file).",
            key_path=("impl", "returns"),
        )
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        found = (
            f"{len(result)} values"
            if isinstance(result, (tuple, list))
            else f"a {type(result).__name__}"
        )
        raise ConventionError(
            f"backward returned {found} where returns declares {len(names)}: {declared}; "
            "declare what it returns, in its order, or your config does not match your code.",
            key_path=("impl", "returns"),
        )
    return list(result)


def _per_layer(value: Any, name: str, depth: int) -> list[Any]:
    if isinstance(value, np.ndarray) or not isinstance(value, (tuple, list)):
        raise ConventionError(
            f"backward returned {type(value).__name__} for {name} where a list of {depth} "
            "arrays, one per layer 1…J, was expected.",
        )
    if len(value) != depth:
        raise ConventionError(
            f"backward returned {len(value)} arrays for {name} where the config's network has "
            f"{depth} layers: the config's layers must match your code's.",
            key_path=("layers",),
        )
    return list(value)


def _numbers(value: Any, name: str, layer: int) -> Array:
    try:
        array = np.asarray(value)
    except Exception:  # a ragged list and the like
        array = np.asarray(None)
    what = f"{_SYMBOLS[name]}{sup(layer)} ({name}[{layer - 1}])"
    if array.dtype.kind not in "biuf":
        raise ConventionError(
            f"backward returned {type(value).__name__} for {what} where a numpy array of "
            "numbers was expected."
        )
    if not np.all(np.isfinite(array)):
        raise ConventionError(f"backward returned NaN or infinity in {what}.")
    return array.astype(np.float64, copy=False)


def _number(value: Any) -> float:
    array = np.asarray(value) if not isinstance(value, (tuple, list, dict)) else None
    if array is None or array.size != 1 or array.dtype.kind not in "biuf":
        raise ConventionError(
            f"backward returned {type(value).__name__} for loss where a number was expected.",
            key_path=("impl", "returns"),
        )
    number = float(array.reshape(()))
    if not np.isfinite(number):
        raise ConventionError("backward returned NaN or infinity as its loss.")
    return number


def _shape_mismatch(
    conventions: Conventions, name: str, layer: int, found: tuple[int, ...], shapes: Shapes
) -> ConventionError:
    """The key whose other value would make ``found`` right, or the layers that differ."""
    spec = conventions.spec
    expected = conventions.user_shape(name, layer, shapes)
    what = f"{_SYMBOLS[name]}{sup(layer)} ({name}[{layer - 1}])"
    head = f"backward returned {what} of shape {_shape(found)} where"
    if name == "db":
        for form in BIAS_SHAPES:
            if form != spec.biases and found == _bias_shape(form, _size(expected)):
                return _declare("biases", spec.biases, form, f"{head} {_shape(expected)}")
        if _keeps_the_batch(found, _size(expected), shapes.batch, spec.per_sample):
            return ConventionError(
                f"{head} {_shape(expected)} biases: {spec.biases} gives: it keeps an axis of the "
                f"batch size (B = {shapes.batch}), as code written for one sample does when "
                "handed the whole batch; declare per_sample: true, or your config does not "
                "match your code.",
                key_path=("impl", "per_sample"),
            )
    elif len(found) == 2 and found == expected[::-1]:
        key, other = (
            ("weights", {"out_in": "in_out", "in_out": "out_in"}[spec.weights])
            if name == "dW"
            else ("layout", {"rows": "columns", "columns": "rows"}[spec.layout])
        )
        return _declare(key, getattr(spec, key), other, f"{head} {_shape(expected)}")
    return ConventionError(
        f"{head} the declared conventions give {_shape(expected)} for the config's network: "
        "the config's input_size and layers must match your code's.",
        key_path=("layers",),
    )


def _keeps_the_batch(found: tuple[int, ...], units: int, batch: int, per_sample: bool) -> bool:
    """A bias gradient (units, B) or (B, units): per-sample code's φ, never summed over a batch."""
    return not per_sample and batch > 1 and found in {(units, batch), (batch, units)}


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape))


def _declare(key: str, declared: str, other: str, head: str) -> ConventionError:
    return ConventionError(
        f"{head} {key}: {declared} gives; declare {key}: {other}, or your config does not match "
        "your code.",
        key_path=("impl", key),
    )


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _kind(value: Any, conventions: Conventions, shapes: Shapes) -> str | None:
    """Which result ``value`` looks like by its shapes in any convention: dW, db, phi or loss."""
    if not isinstance(value, (tuple, list)):
        array = np.asarray(value) if not isinstance(value, dict) else None
        return "loss" if array is not None and array.size == 1 else None
    if len(value) != shapes.depth:
        return None
    found = [_shape_of(item) for item in value]
    candidates = {
        "dW": [{w, w[::-1]} for w in shapes.weights],
        "db": [{_bias_shape(form, w[0]) for form in BIAS_SHAPES} for w in shapes.weights],
        "phi": [{(shapes.batch, w[0]), (w[0], shapes.batch)} for w in shapes.weights],
    }
    kinds = [
        kind
        for kind, allowed in candidates.items()
        if all(shape in options for shape, options in zip(found, allowed, strict=True))
    ]
    return kinds[0] if len(kinds) == 1 else None


def _check_order(
    values: list[Any], names: tuple[str, ...], shapes: Shapes, conventions: Conventions
) -> None:
    """A tuple in another order than ``returns`` declares, told by the results' shapes: in the
    declared conventions first, else in any (a transposed dW in the other order)."""
    if _fits(values, names, shapes, conventions):
        return
    orders = [
        order
        for order in itertools.permutations(names)
        if order != names and _fits(values, order, shapes, conventions)
    ]
    if not orders:
        kinds = [_kind(value, conventions, shapes) for value in values]
        if None in kinds or sorted(kinds) != sorted(names) or tuple(kinds) == names:  # type: ignore[type-var]
            return
        orders = [tuple(k for k in kinds if k)]
    found, *others = (f"[{', '.join(order)}]" for order in orders)
    also = f" (or {', '.join(others)}, which the shapes fit as well)" if others else ""
    raise ConventionError(
        f"backward returned {found} (by their shapes) where returns declares "
        f"[{', '.join(names)}]; declare returns: {found}{also}, or your config does not match "
        "your code.",
        key_path=("impl", "returns"),
    )


def _fits(
    values: list[Any], order: tuple[str, ...], shapes: Shapes, conventions: Conventions
) -> bool:
    """Whether each value has the declared shapes of the result ``order`` names in its place."""
    for name, value in zip(order, values, strict=True):
        if name == "loss":
            if isinstance(value, (tuple, list, dict)) or np.size(value) != 1:
                return False
            continue
        if not isinstance(value, (tuple, list)) or len(value) != shapes.depth:
            return False
        for layer, item in enumerate(value, start=1):
            if _shape_of(item) != conventions.user_shape(name, layer, shapes):
                return False
    return True


def _shape_of(value: Any) -> tuple[int, ...] | None:
    try:
        return np.shape(value)
    except ValueError:  # a ragged list
        return None
