"""Your own equations: a Python file whose functions replace steps of the built-in backward.

The file may define any of these, each on ONE sample with 1-D numpy arrays, in the notation of
docs/derivation.md#notation; the tool calls them for every sample of the batch and averages ∇W
and ∇b over it:

HOOK_TABLE

Whatever a function raises or returns wrongly (shape, type, NaN) becomes a HookError that names the
function, the layer and what was expected, never a traceback from inside the tool.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..core.activations import Activation
from ..core.backprop import Gradients, Steps
from ..core.losses import Loss
from ..core.network import Network, Trace
from ..core.notation import superscript as sup
from ..errors import BackpropCheckError

__all__ = ["HOOKS", "Hook", "HookError", "UserCode", "hook_table", "load_user_code"]

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


class HookError(BackpropCheckError):
    """A function in the user's file failed or returned something unusable."""


@dataclass(frozen=True)
class UserCode:
    """The hooks found in a user's file."""

    path: Path
    hooks: dict[str, Callable[..., Any]]

    @property
    def names(self) -> tuple[str, ...]:
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

    def analytic(self) -> Steps | Callable[[Network, Trace, Array], Gradients]:
        """The analytic side this file gives: built-in steps replaced, or its whole backward."""
        if "backward" in self.hooks:
            return lambda network, trace, y: self.backward(
                network.weights, network.biases, trace.a(0), y
            )
        return self.steps()

    def sources(self, quantity: str, layer: int, depth: int) -> tuple[str, ...]:
        """Which of the user's functions computed this row directly."""
        if "backward" in self.hooks:
            return ("backward",) if quantity != "phi" else ()
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

    # ------------------------------------------------------------------ whole backward

    def backward(
        self, weights: Sequence[Array], biases: Sequence[Array], x: Array, y: Array
    ) -> Gradients:
        """The user's own backward: ∇W and ∇b of every layer for the whole batch; no φ."""
        result = self._call(
            "backward",
            None,
            ([w.copy() for w in weights], [b.copy() for b in biases], x.copy(), y.copy()),
        )
        depth = len(weights)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise self._error("backward", None, "returned something other than a pair (dWs, dbs)")
        dws, dbs = result
        for kind, found in (("dWs", dws), ("dbs", dbs)):
            if not isinstance(found, (tuple, list)) or len(found) != depth:
                raise self._error(
                    "backward",
                    None,
                    f"returned {kind} that is not a list of {depth} arrays, one per layer",
                )
        return Gradients(
            phis=None,
            dW=tuple(
                self._checked(d, "backward", j, w.shape, what=f"dWs[{j - 1}] (∇W{sup(j)})")
                for j, (d, w) in enumerate(zip(dws, weights, strict=True), start=1)
            ),
            db=tuple(
                self._checked(d, "backward", j, b.shape, what=f"dbs[{j - 1}] (∇b{sup(j)})")
                for j, (d, b) in enumerate(zip(dbs, biases, strict=True), start=1)
            ),
        )

    # ------------------------------------------------------------------ checks and errors

    def _call(
        self, name: str, layer: int | None, arguments: tuple[Any, ...], *, sample: int | None = None
    ) -> Any:
        try:
            return self.hooks[name](*arguments)
        except Exception as error:  # the user's code may raise anything
            raise self._error(
                name, layer, f"raised {_describe_exception(error, self.path)}", sample=sample
            ) from None
        except (SystemExit, GeneratorExit) as error:  # not ours to end the run; Ctrl-C is
            problem = f"stopped: {_describe_exit(error, self.path)}"
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
        return HookError(f"{self.path}: {name} ({hook.equation}, {what}{where}{which}) {problem}.")


def load_user_code(path: str | Path) -> UserCode:
    """Import the user's file and collect the hooks it defines."""
    path = Path(path)
    if not path.is_file():
        raise HookError(f"{path}: no such file; --impl expects a Python file with your equations.")
    module = _import(path)
    hooks: dict[str, Callable[..., Any]] = {}
    for name, hook in HOOKS.items():
        function = getattr(module, name, None)
        if function is None:
            continue
        if not callable(function):
            what = hook.computes.format(j="ʲ")
            raise HookError(
                f"{path}: {name} is not a function; it should compute {what} ({hook.equation})."
            )
        _check_signature(path, hook, function)
        hooks[name] = function
    if not hooks:
        raise HookError(
            f"{path}: defines none of the functions bpcheck looks for: {', '.join(HOOKS)}."
        )
    if "backward" in hooks and len(hooks) > 1:
        others = ", ".join(name for name in hooks if name != "backward")
        raise HookError(
            f"{path}: defines backward and also {others}; backward replaces every step, so define "
            "either backward alone or the separate steps."
        )
    return UserCode(path=path, hooks=hooks)


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bpcheck_user_{abs(hash(path.resolve()))}", path)
    if spec is None or spec.loader is None:
        raise HookError(f"{path}: cannot be imported as a Python file.")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise HookError(
            f"{path}, line {error.lineno}: is not valid Python ({error.msg})."
        ) from None
    except Exception as error:  # whatever the user's module does at import time
        raise HookError(
            f"{path}: importing it raised {_describe_exception(error, path)}."
        ) from None
    except (SystemExit, GeneratorExit) as error:  # the file may not end bpcheck; Ctrl-C may
        raise HookError(f"{path}: while being imported, {_describe_exit(error, path)}.") from None
    finally:
        sys.modules.pop(spec.name, None)
    return module


def _check_signature(path: Path, hook: Hook, function: Callable[..., Any]) -> None:
    count = len(hook.parameters)
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return
    if any(p.kind in (p.VAR_POSITIONAL,) for p in parameters):
        return
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if not len(required) <= count <= len(positional):
        plural = "s" if len(positional) != 1 else ""
        raise HookError(
            f"{path}: {hook.name} takes {len(positional)} argument{plural}; "
            f"bpcheck calls it as {hook.signature}."
        )


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(extent) for extent in shape) + ("," if len(shape) == 1 else "") + ")"


def _describe_exception(error: BaseException, path: Path) -> str:
    """'ValueError: message (line 12)', with the line in the user's file where it happened."""
    line = _user_line(error, path)
    text = f"{type(error).__name__}: {error}".rstrip(": ")
    return f"{text} (line {line})" if line is not None else text


def _user_line(error: BaseException, path: Path) -> int | None:
    """The last line of the user's file in the error's traceback."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename).resolve() == path.resolve():
            line = frame.lineno
    return line


def _describe_exit(error: SystemExit | GeneratorExit, path: Path) -> str:
    """'your code called sys.exit(0) at line 12', for an exit the user's file tried to make."""
    line = _user_line(error, path)
    where = f" at line {line}" if line is not None else ""
    if isinstance(error, SystemExit):
        return f"your code called sys.exit({error.code!r}){where}, which would end bpcheck"
    return f"your code raised GeneratorExit{where}, which would end bpcheck"
