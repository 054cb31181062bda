"""Your whole backward (and your loss), called in the conventions ``impl:`` declares.

``backward(weights, biases, x, y)`` receives the parameters and the batch as your code keeps them
(:mod:`.conventions`), once or once per sample, and what it returns is read back into the tool's
shapes, in the scale of your reduction. ``loss(weights, biases, x, y)`` is called the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.backprop import Gradients
from ..core.network import Network
from ..core.notation import superscript as sup
from ..spec.impl_section import ImplSpec
from .conventions import ConventionError, Conventions, Shapes, combine
from .loading import HookError, UserContext, describe_exception, describe_exit

__all__ = ["UserBackward", "UserResults"]

Array = np.ndarray


@dataclass(frozen=True)
class UserResults:
    """What your backward gave for the batch: ∇W and ∇b (and φ when returned) in the tool's
    shapes and your reduction's scale; the loss it returned, if any."""

    gradients: Gradients
    loss: float | None = None


@dataclass(frozen=True)
class UserBackward:
    """Your backward (and loss) with the conventions they keep, ready to call."""

    context: UserContext
    spec: ImplSpec
    backward: Callable[..., Any]
    loss: Callable[..., Any] | None = None

    @property
    def conventions(self) -> Conventions:
        return Conventions(self.spec)

    def run(self, network: Network, x: Array, y: Array) -> UserResults:
        """Your backward on the batch: whole, or sample by sample combined by the reduction."""
        conventions = self.conventions
        weights = conventions.weights(network.weights)
        biases = conventions.biases(network.biases)
        shapes = Shapes(
            weights=tuple(w.shape for w in network.weights),  # type: ignore[misc]
            batch=1 if self.spec.per_sample else len(x),
        )
        parts = []
        for sample, (x_call, y_call) in enumerate(conventions.calls(x, y)):
            where = sample if self.spec.per_sample else None
            result = self._call(self.spec.backward, self.backward, weights, biases, x_call, y_call,
                                sample=where)  # fmt: skip
            parts.append(self._read(result, shapes, sample=where))
        read = (
            combine(parts, reduce=self.spec.reduce, batch=len(x))
            if self.spec.per_sample
            else parts[0]
        )
        phis = read.get("phi")
        gradients = Gradients(
            phis=None if phis is None else tuple(phis),
            dW=tuple(read["dW"]),
            db=tuple(read["db"]),
        )
        return UserResults(gradients, read.get("loss"))

    def loss_value(
        self, weights: Sequence[Array], biases: Sequence[Array], x: Array, y: Array
    ) -> float:
        """Your loss (impl.loss) at these parameters (the tool's shapes), in your conventions."""
        assert self.loss is not None
        conventions = self.conventions
        values = [
            self._value(conventions.weights(weights), conventions.biases(biases), xs, ys, sample)
            for sample, (xs, ys) in enumerate(conventions.calls(x, y))
        ]
        if not self.spec.per_sample:
            return values[0]
        return float(np.mean(values) if self.spec.reduce == "mean" else np.sum(values))

    def _value(
        self, weights: list[Array], biases: list[Array], x: Array, y: Array, sample: int
    ) -> float:
        name = self.spec.loss or "loss"
        where = sample if self.spec.per_sample else None
        value = self._call(name, self.loss, weights, biases, x, y, sample=where)  # type: ignore[arg-type]
        array = np.asarray(value) if not isinstance(value, (tuple, list, dict)) else None
        if array is None or array.size != 1 or array.dtype.kind not in "biufc":
            raise HookError(
                f"{self.context.name}: {name} returned {type(value).__name__} where a number "
                "(your loss) was expected."
            )
        return array.reshape(())[()]  # complex under the complex step, else a float

    def _call(
        self,
        name: str,
        function: Callable[..., Any],
        *arguments: Any,
        sample: int | None,
    ) -> Any:
        which = f" (sample {sample})" if sample is not None else ""
        try:
            return self.context.call(function, *arguments)
        except Exception as error:  # the user's code may raise anything
            problem = f"raised {describe_exception(error, self.context)}"
            if isinstance(error, (ValueError, IndexError, TypeError)):
                problem += (
                    f". {self._called_with(*arguments, indexing=isinstance(error, IndexError))}"
                )
        except (SystemExit, GeneratorExit) as error:  # not ours to end the run; Ctrl-C is
            problem = f"stopped: {describe_exit(error, self.context)}"
        raise HookError(f"{self.context.name}: {name}{which} {problem}.")

    def _called_with(
        self, weights: list[Array], biases: list[Array], x: Array, y: Array, *, indexing: bool
    ) -> str:
        """The shapes it was given and the keys that chose them: a shape error in your code is
        often a convention your code keeps and the config does not declare (an IndexError with
        one-hot y, often class labels used as indices: labels: index)."""
        spec = self.spec
        labels = (
            " (labels: index if it indexes with the labels, as probs[np.arange(N), y] does)"
            if indexing and spec.labels == "one_hot"
            else ""
        )

        def shapes(arrays: Sequence[Array], name: str) -> str:
            return ", ".join(f"{name}{sup(j)} {_shape(a)}" for j, a in enumerate(arrays, 1))

        return (
            f"It was called with x {_shape(x)} and y {_shape(y)} (layout: {spec.layout}, "
            f"labels: {spec.labels}, per_sample: {str(spec.per_sample).lower()}), "
            f"{shapes(weights, 'W')} (weights: {spec.weights}), {shapes(biases, 'b')} "
            f"(biases: {spec.biases}): if your code expects other shapes, declare its "
            f"conventions in impl:{labels}, or your config does not match your code"
        )

    def _read(self, result: Any, shapes: Shapes, *, sample: int | None) -> dict[str, Any]:
        try:
            return self.conventions.read(result, shapes)
        except ConventionError as mismatch:
            which = f" (sample {sample})" if sample is not None else ""
            who = f"{self.spec.backward} in {self.context.name}{which}"
            message = mismatch.message.replace("backward", who, 1)
            if not mismatch.key_path:
                raise HookError(f"{self.context.name}: {message}") from None
            raise ConventionError(message, key_path=mismatch.key_path) from None


def _shape(array: Array) -> str:
    shape = np.shape(array)
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
