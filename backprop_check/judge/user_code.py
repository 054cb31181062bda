"""Finding the user's code: a file, a loaded module or a dict of functions, as :class:`UserCode`.

The functions looked for are the per-sample hooks (:data:`.hooks.HOOKS`) or a whole backward named
by ``impl.backward`` (and ``impl.loss``); a name that ``impl:`` declares and the code lacks is a
:class:`.conventions.ConventionError` naming that key, anything else a :class:`HookError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..spec.impl_section import ImplSpec
from .conventions import ConventionError
from .hooks import HOOKS, UserCode
from .loading import HookError, UserContext, check_arity, import_file, namespace_of
from .user_backward import UserBackward

if TYPE_CHECKING:
    from ..spec.config import Config

__all__ = ["UserCodeSource", "load_user_code", "user_code_for"]

# What may be checked as the user's code: a file, a module already imported, or functions by name.
UserCodeSource = str | Path | ModuleType | Mapping[str, Callable[..., Any]]
_ARGUMENTS = ("weights", "biases", "x", "y")


def load_user_code(source: UserCodeSource | UserCode, spec: ImplSpec | None = None) -> UserCode:
    """The user's code from ``source``, with the conventions ``spec`` declares (defaults: the
    tool's own). A path is imported with its folder and the working directory importable."""
    if isinstance(source, UserCode):
        return source
    context, names = _namespace(source)
    if spec is None:
        spec = ImplSpec(file=context.path or Path("<functions>"))
    backward = names.get(spec.backward)
    if backward is not None or "backward" in spec.declared:
        return _whole(context, names, spec)
    if "loss" in spec.declared and spec.loss is not None:
        raise ConventionError(
            f"{context.name} defines no function {spec.backward}, so there is no backward for "
            "your loss to be checked against; name it in impl.backward.",
            key_path=("impl", "backward"),
        )
    return UserCode(context=context, hooks=_hooks(context, names))


def _namespace(source: UserCodeSource) -> tuple[UserContext, dict[str, Any]]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise HookError(
                f"{path}: no such file; --impl expects a Python file with your equations."
            )
        context = UserContext.for_file(path)
        return context, namespace_of(import_file(context))
    if isinstance(source, ModuleType):
        location = getattr(source, "__file__", None)
        context = UserContext.for_file(Path(location)) if location else UserContext(path=None)
        return context, namespace_of(source)
    if isinstance(source, Mapping):
        names = dict(source)
        bad = [key for key in names if not isinstance(key, str)]
        if bad:
            raise HookError(f"your functions: {bad[0]!r} is not a function name (a string).")
        return UserContext(path=None), names
    raise HookError(
        f"impl: expected a Python file, a module or a dict of functions, found "
        f"{type(source).__name__}."
    )


def _function(context: UserContext, names: dict[str, Any], name: str, key: str) -> Callable:
    function = names.get(name)
    if function is None:
        raise ConventionError(
            f"{context.name} defines no function {name}: name the function it defines in "
            f"impl.{key}.",
            key_path=("impl", key),
        )
    if not callable(function):
        raise HookError(
            f"{context.name}: {name} is not a function, it is {type(function).__name__}."
        )
    signature = f"{name}({', '.join(_ARGUMENTS)})"
    check_arity(context.name, name, signature, len(_ARGUMENTS), function)
    return function


def _whole(context: UserContext, names: dict[str, Any], spec: ImplSpec) -> UserCode:
    """A whole backward (and loss): per-step hooks beside it would be ambiguous."""
    backward = _function(context, names, spec.backward, "backward")
    steps = [name for name, hook in HOOKS.items() if hook.per_sample and callable(names.get(name))]
    if steps:
        raise HookError(
            f"{context.name}: defines {spec.backward} and also {', '.join(steps)}; "
            f"{spec.backward} replaces every step, so define either {spec.backward} alone or the "
            "separate steps."
        )
    loss = _function(context, names, spec.loss, "loss") if spec.loss is not None else None
    whole = UserBackward(context=context, spec=spec, backward=backward, loss=loss)
    return UserCode(context=context, hooks={}, whole=whole)


def _hooks(context: UserContext, names: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """The per-sample hooks defined, each checked against the call bpcheck makes."""
    hooks: dict[str, Callable[..., Any]] = {}
    for name, hook in HOOKS.items():
        function = names.get(name)
        if function is None or not hook.per_sample:
            continue
        if not callable(function):
            what = hook.computes.format(j="ʲ")
            raise HookError(
                f"{context.name}: {name} is not a function; it should compute {what} "
                f"({hook.equation})."
            )
        check_arity(context.name, name, hook.signature, len(hook.parameters), function)
        hooks[name] = function
    if not hooks:
        raise HookError(
            f"{context.name}: defines none of the functions bpcheck looks for: {', '.join(HOOKS)}."
        )
    return hooks


def user_code_for(config: Config, impl: UserCodeSource | UserCode | None) -> UserCode | None:
    """The code a check of ``config`` runs: ``impl`` when given (a path overrides impl.file), else
    the config's own ``impl:`` block; None for the built-in backward. Conventions come from the
    config's ``impl:`` block in either case."""
    if isinstance(impl, UserCode):
        return impl
    spec = config.impl
    if impl is None:
        if spec is None:
            return None
        if not spec.file.is_file():
            raise config.error(
                ("impl", "file"),
                f"{spec.file}: no such file; impl.file names the Python file with your backward, "
                "relative to this config.",
            )
        source: UserCodeSource = spec.file
    elif isinstance(impl, (str, Path)):
        spec = spec.with_file(impl) if spec is not None else ImplSpec(file=Path(impl))
        source = impl
    else:
        source = impl
    try:
        return load_user_code(source, spec)
    except ConventionError as mismatch:
        raise config.error(mismatch.key_path, mismatch.message) from None
