"""Your own equations: a Python file whose functions replace steps of the built-in backward.

The file may define any of these, each on ONE sample with 1-D numpy arrays, in the notation of
docs/derivation.md#notation; the tool calls them for every sample of the batch and averages ∇W
and ∇b over it:

HOOK_TABLE

Whatever a function raises or returns wrongly (shape, type, NaN) becomes a HookError that names the
function, the layer and what was expected, never a traceback from inside the tool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.activations import Activation
from ..core.backprop import Steps
from ..core.losses import Loss
from ..core.notation import superscript as sup
from .loading import HookError, UserContext, describe_exception, describe_exit
from .user_backward import UserBackward

__all__ = ["HOOKS", "Hook", "HookError", "UserCode", "hook_table"]

Array = np.ndarray


@dataclass(frozen=True)
class Hook:
    """One function a user's file may define: how it is called and what it must compute."""

    name: str
    parameters: tuple[str, ...]
    # What it returns, in words, for the docs; and as a symbol, with {j} for the layer.
    returns: str
    computes: str
    equation: str
    # Called once per sample and wrapped into a step of the built-in backward; else whole-batch.
    per_sample: bool = True

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.parameters)})"


HOOKS: dict[str, Hook] = {
    hook.name: hook
    for hook in (
        Hook(
            "activation_derivative",
            ("name", "z"),
            "σ'(z) for the activation called name",
            "σ'(z{j})",
            "docs/derivation.md#activations",
        ),
        Hook(
            "loss_gradient", ("name", "a", "y"), "∇_a L for the loss called name", "∇_a L", "Eq. 1"
        ),
        Hook("phi_output", ("z", "a", "y", "activation", "loss"), "φ^J", "φ{j}", "Eq. 1"),
        Hook("phi_hidden", ("w_next", "phi_next", "z", "activation"), "φ^j", "φ{j}", "Eq. 2"),
        Hook("grad_w", ("phi", "a_prev"), "∇_{W^j} L, (units_j, units_{j-1})", "∇W{j}", "Eq. 3"),
        Hook("grad_b", ("phi",), "∇_{b^j} L", "∇b{j}", "Eq. 4"),
        Hook(
            "backward",
            ("weights", "biases", "x", "y"),
            "(dWs, dbs) for the whole batch",
            "(dWs, dbs)",
            "Eq. 1–4",
            per_sample=False,
        ),
    )
}


def hook_table() -> str:
    """The hooks as the docs list them: signature, what it returns, its equation."""
    return "\n".join(
        f"    {hook.signature:<44}{hook.returns:<38}({hook.equation})" for hook in HOOKS.values()
    )


__doc__ = (__doc__ or "").replace("HOOK_TABLE", hook_table())


@dataclass(frozen=True)
class UserCode:
    """The user's code: per-sample hooks that replace steps of the built-in backward, or a
    whole backward (``whole``) called in the conventions its config declares."""

    context: UserContext
    hooks: dict[str, Callable[..., Any]]
    whole: UserBackward | None = None

    @property
    def path(self) -> Path | None:
        """The file, or None for functions handed over in Python."""
        return self.context.path

    @property
    def name(self) -> str:
        return self.context.name

    @property
    def names(self) -> tuple[str, ...]:
        if self.whole is not None:
            return (self.whole.spec.backward,)
        return tuple(name for name in HOOKS if name in self.hooks)

    def steps(self) -> Steps:
        """The per-sample hooks as batch steps for :func:`backprop.backward`."""
        return Steps(
            **{
                name: getattr(self, f"_{name}")
                for name, hook in HOOKS.items()
                if hook.per_sample and name in self.hooks
            }
        )

    def analytic(self) -> Steps | UserBackward:
        """The analytic side this code gives: built-in steps replaced, or its whole backward."""
        return self.whole if self.whole is not None else self.steps()

    def sources(self, quantity: str, layer: int, depth: int) -> tuple[str, ...]:
        """Which of the user's functions computed this row directly."""
        if self.whole is not None:
            gives = quantity != "phi" or self.whole.spec.returns_phi
            return (self.whole.spec.backward,) if gives else ()
        if quantity == "W":
            return ("grad_w",) if "grad_w" in self.hooks else ()
        if quantity == "b":
            return ("grad_b",) if "grad_b" in self.hooks else ()
        if layer == depth and "phi_output" in self.hooks:
            return ("phi_output",)
        if layer < depth and "phi_hidden" in self.hooks:
            return ("phi_hidden",)
        candidates = (
            ("loss_gradient", "activation_derivative")
            if layer == depth
            else ("activation_derivative",)
        )
        return tuple(name for name in candidates if name in self.hooks)

    # ------------------------------------------------------------------ per-sample wrappers

    def _activation_derivative(self, activation: Activation, z: Array, *, layer: int) -> Array:
        return self._map(
            "activation_derivative", layer, z.shape[1:], z.shape[0],
            lambda s: (activation.name, z[s].copy()),
        )  # fmt: skip

    def _loss_gradient(self, loss: Loss, a: Array, y: Array, *, layer: int) -> Array:
        return self._map(
            "loss_gradient", layer, a.shape[1:], a.shape[0],
            lambda s: (loss.name, a[s].copy(), y[s].copy()),
        )  # fmt: skip

    def _phi_output(
        self, z: Array, a: Array, y: Array, activation: Activation, loss: Loss, *, layer: int
    ) -> Array:
        return self._map(
            "phi_output", layer, z.shape[1:], z.shape[0],
            lambda s: (z[s].copy(), a[s].copy(), y[s].copy(), activation.name, loss.name),
        )  # fmt: skip

    def _phi_hidden(
        self, w_next: Array, phi_next: Array, z: Array, activation: Activation, *, layer: int
    ) -> Array:
        return self._map(
            "phi_hidden", layer, z.shape[1:], z.shape[0],
            lambda s: (w_next.copy(), phi_next[s].copy(), z[s].copy(), activation.name),
        )  # fmt: skip

    def _grad_w(self, phi: Array, a_prev: Array, *, layer: int) -> Array:
        per_sample = self._map(
            "grad_w", layer, (phi.shape[1], a_prev.shape[1]), phi.shape[0],
            lambda s: (phi[s].copy(), a_prev[s].copy()),
        )  # fmt: skip
        return per_sample.mean(axis=0)

    def _grad_b(self, phi: Array, *, layer: int) -> Array:
        per_sample = self._map(
            "grad_b", layer, phi.shape[1:], phi.shape[0], lambda s: (phi[s].copy(),)
        )
        return per_sample.mean(axis=0)

    def _map(
        self,
        name: str,
        layer: int,
        shape: tuple[int, ...],
        samples: int,
        arguments: Callable[[int], tuple[Any, ...]],
    ) -> Array:
        """Call a hook once per sample, check each result, stack them into a batch."""
        rows = []
        for sample in range(samples):
            result = self._call(name, layer, arguments(sample), sample=sample)
            rows.append(self._checked(result, name, layer, shape, sample=sample))
        return np.stack(rows)

    # ------------------------------------------------------------------ checks and errors

    def _call(
        self, name: str, layer: int | None, arguments: tuple[Any, ...], *, sample: int | None = None
    ) -> Any:
        try:
            return self.context.call(self.hooks[name], *arguments)
        except Exception as error:  # the user's code may raise anything
            raise self._error(
                name, layer, f"raised {describe_exception(error, self.context)}", sample=sample
            ) from None
        except (SystemExit, GeneratorExit) as error:  # not ours to end the run; Ctrl-C is
            problem = f"stopped: {describe_exit(error, self.context)}"
            raise self._error(name, layer, problem, sample=sample) from None

    def _checked(
        self,
        value: Any,
        name: str,
        layer: int | None,
        shape: tuple[int, ...],
        *,
        sample: int | None = None,
        what: str = "its result",
    ) -> Array:
        try:
            array = np.asarray(value)
        except Exception:  # a ragged list and the like
            array = np.asarray(None)
        if array.dtype.kind not in "biuf":
            raise self._error(
                name, layer,
                f"returned {type(value).__name__} where {what} should be a numpy array of numbers "
                f"of shape {_shape(shape)}",
                sample=sample,
            )  # fmt: skip
        if array.shape != shape:
            # Column or row vectors as the derivation writes them are fine; other shapes are not.
            if len(shape) == 1 and array.size == shape[0] and array.ndim == 2 and 1 in array.shape:
                array = array.reshape(shape)
            else:
                raise self._error(
                    name, layer,
                    f"returned shape {_shape(array.shape)} where {what} should have shape "
                    f"{_shape(shape)}",
                    sample=sample,
                )  # fmt: skip
        if not np.all(np.isfinite(array)):
            raise self._error(name, layer, f"returned NaN or infinity in {what}", sample=sample)
        return array.astype(np.float64, copy=False)

    def _error(
        self, name: str, layer: int | None, problem: str, *, sample: int | None = None
    ) -> HookError:
        hook = HOOKS[name]
        what = hook.computes.format(j=sup(layer) if layer is not None else "ʲ")
        where = f" at layer {layer}" if layer is not None else ""
        which = f", sample {sample}" if sample is not None else ""
        return HookError(f"{self.name}: {name} ({hook.equation}, {what}{where}{which}) {problem}.")


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(extent) for extent in shape) + ("," if len(shape) == 1 else "") + ")"
