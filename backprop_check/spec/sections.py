"""Validating the network's sections of a config: layers, loss, check options and formulas.

Each function takes the plain data read from YAML (or given as a dict) and returns the value
the :class:`~backprop_check.spec.model.Config` holds, or raises a
:class:`~backprop_check.errors.BackpropCheckError` keyed by the path to blame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.activations import ACTIVATIONS, Activation
from ..core.losses import LOSS_ALIASES, LOSSES, Loss, canonical_loss_name
from ..errors import BackpropCheckError, KeyPath
from .model import LayerSpec
from .schema import (
    CHECK_KEYS,
    EXCLUSIVE_CHECK_KEYS,
    FORMULA_KEYS,
    KINK_POLICIES,
    LAYER_KEYS,
    LOSS_FORMULA_KEYS,
    REDUCTIONS,
    REQUIRED_FORMULA_KEYS,
    check_keys,
    choice,
    describe,
    did_you_mean,
    int_at_least,
    positive_float,
    require_mapping,
    validate_method,
)

__all__ = [
    "validate_activations",
    "validate_check",
    "validate_layers",
    "validate_loss",
    "validate_losses",
]


def validate_layers(value: Any, custom: Mapping[str, Activation]) -> tuple[LayerSpec, ...]:
    """``layers:`` as ``layer_spec(units, activation)`` items; the last one is the output."""
    if not isinstance(value, list) or not value:
        raise BackpropCheckError(
            "expected a non-empty list of layers such as {units: 8, activation: relu}, "
            f"found {describe(value)}.",
            key_path=("layers",),
        )
    known = {**ACTIVATIONS, **custom}
    layers = []
    for index, item in enumerate(value):
        path: KeyPath = ("layers", index)
        layer = require_mapping(item, path, "a layer such as {units: 8, activation: relu}")
        check_keys(layer, LAYER_KEYS, path)
        for required in LAYER_KEYS:
            if required not in layer:
                raise BackpropCheckError(
                    f"layer {index + 1} is missing '{required}'.", key_path=path
                )
        units = int_at_least(layer["units"], 1, (*path, "units"))
        activation = _activation_name(layer["activation"], known, (*path, "activation"))
        if activation == "softmax" and units == 1:
            raise BackpropCheckError(
                "a softmax over 1 unit is the constant 1, so nothing can be learned or checked; "
                "use sigmoid for a single output.",
                key_path=(*path, "units"),
            )
        if index < len(value) - 1 and not known[activation].hidden_ok:
            raise BackpropCheckError(
                f"'{activation}' is only allowed in the output (last) layer (see "
                f"docs/derivation.md#softmax); layer {index + 1} of {len(value)} is hidden.",
                key_path=(*path, "activation"),
            )
        layers.append(LayerSpec(units=units, activation=activation))
    return tuple(layers)


def _activation_name(value: Any, known: Mapping[str, Activation], path: KeyPath) -> str:
    if not isinstance(value, str) or value not in known:
        names = sorted(known)
        hint = did_you_mean(value, names) if isinstance(value, str) else ""
        raise BackpropCheckError(
            f"unknown activation {describe(value)}. Expected one of: {', '.join(names)}.{hint}",
            key_path=path,
        )
    return value


def validate_loss(
    value: Any,
    layers: tuple[LayerSpec, ...],
    custom: Mapping[str, Loss],
    activations: Mapping[str, Activation],
) -> str:
    """``loss:`` as a registry name (aliases resolved), fitting the output layer."""
    if isinstance(value, str) and value in custom:
        return value
    canonical = canonical_loss_name(value) if isinstance(value, str) else None
    if canonical is None:
        choices = sorted(LOSS_ALIASES) + sorted(custom)
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        own = f" and this config's own: {', '.join(sorted(custom))}" if custom else ""
        raise BackpropCheckError(
            f"unknown loss {describe(value)}. Expected one of: {', '.join(sorted(LOSSES))} "
            f"(or an alias: {', '.join(sorted(set(LOSS_ALIASES) - set(LOSSES)))}){own}.{hint}",
            key_path=("loss",),
        )
    output = layers[-1].activation
    output_activation = activations.get(output) or ACTIVATIONS[output]
    if LOSSES[canonical].needs_probabilities and not output_activation.probabilities:
        raise BackpropCheckError(
            f"'{canonical}' takes logs of the outputs, so the last layer must produce values "
            f"in (0, 1) (sigmoid or softmax); it is '{output}'.",
            key_path=("loss",),
        )
    return canonical


def validate_check(value: Any) -> dict[str, Any]:
    """``check:`` as the keyword arguments of :class:`~backprop_check.spec.model.CheckOptions`."""
    check = require_mapping(value, ("check",), "a mapping with keys such as eps, rtol, atol")
    check_keys(check, CHECK_KEYS, ("check",))
    given = [name for name in EXCLUSIVE_CHECK_KEYS if name in check]
    if len(given) > 1:
        raise BackpropCheckError(
            f"choose either {' or '.join(EXCLUSIVE_CHECK_KEYS)}, not both.",
            key_path=("check", given[-1]),
            at_key=True,
        )
    options: dict[str, Any] = {}
    if "method" in check:
        options["method"] = validate_method(check["method"], ("check", "method"))
    for name in ("eps", "rtol", "atol"):
        if name in check:
            options[name] = positive_float(check[name], ("check", name), step=name == "eps")
    for name in ("sample", "directions"):
        if name in check:
            options[name] = int_at_least(check[name], 1, ("check", name))
    if "kinks" in check:
        options["kinks"] = choice(check["kinks"], KINK_POLICIES, ("check", "kinks"), "kink policy")
    return options


# ----------------------------------------------------------------------------- formulas

_SINGULAR = {"activations": "activation", "losses": "loss"}


def validate_activations(value: Any) -> dict[str, Activation]:
    """``activations: {name: {f: "...", df: "..."}}``: formulas in x."""
    activations = {}
    for name, spec in _formula_names("activations", value, ACTIVATIONS).items():
        from .formulas import formula_activation  # the compiler only for configs with formulas

        _, f, df = _formula_pair("activations", name, spec, ("x",))
        activations[name] = formula_activation(name, f, df)
    return activations


def validate_losses(value: Any) -> dict[str, Loss]:
    """``losses: {name: {f: "...", df: "...", reduce: sum|mean}}``: formulas in yhat and y."""
    taken = {**LOSSES, **LOSS_ALIASES}
    losses = {}
    for name, spec in _formula_names("losses", value, taken).items():
        from .formulas import formula_loss

        entry, f, df = _formula_pair("losses", name, spec, ("yhat", "y"))
        path: KeyPath = ("losses", name, "reduce")
        reduce = choice(entry.get("reduce", REDUCTIONS[0]), REDUCTIONS, path, "reduce")
        losses[name] = formula_loss(name, f, df, reduce)
    return losses


def _formula_names(section: str, value: Any, taken: Mapping[str, Any]) -> Mapping[str, Any]:
    entries = require_mapping(value, (section,), "a mapping of names to formulas")
    for name in entries:
        if not name.isidentifier():
            raise BackpropCheckError(
                f"'{name}' is not a usable name (letters, digits, _).",
                key_path=(section, name),
                at_key=True,
            )
        if name in taken:
            raise BackpropCheckError(
                f"'{name}' is already a built-in {_SINGULAR[section]}; choose another name.",
                key_path=(section, name),
                at_key=True,
            )
    return entries


def _formula_pair(
    section: str, name: str, spec: Any, variables: tuple[str, ...]
) -> tuple[Mapping[str, Any], Any, Any]:
    """One entry of ``activations:`` or ``losses:``: its mapping and its compiled f and df."""
    path: KeyPath = (section, name)
    what = " and ".join(variables)
    keys = FORMULA_KEYS if section == "activations" else LOSS_FORMULA_KEYS
    entry = require_mapping(spec, path, f"a mapping with f and df, formulas in {what}")
    check_keys(entry, keys, path)
    for key in REQUIRED_FORMULA_KEYS:
        if key not in entry:
            raise BackpropCheckError(
                f"{_SINGULAR[section]} '{name}' is missing '{key}' (a formula in {what}).",
                key_path=path,
            )
    f = _formula(entry["f"], (*path, "f"), variables)
    df = _formula(entry["df"], (*path, "df"), variables) if "df" in entry else None
    from .formulas.derivatives import checked_derivative

    # Derived when left out, checked when given, before any finite difference runs.
    df = checked_derivative(
        f, df, variable=variables[0], what=f"{_SINGULAR[section]} '{name}'", path=path
    )
    return entry, f, df


def _formula(text: Any, path: KeyPath, variables: tuple[str, ...]) -> Any:
    from .formulas import ExpressionError, compile_expression

    try:
        return compile_expression(text, variables=variables)
    except ExpressionError as error:
        raise BackpropCheckError(error.message, key_path=path) from None
