"""Reading and validating a network spec (YAML file or dict) into a :class:`Config`.

Every error names the file, the key path and, for YAML files, the line and column of the
offending node, so the CLI can print it as one paragraph.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ..core.activations import ACTIVATIONS, Activation, formula_activation
from ..core.losses import LOSS_ALIASES, LOSSES, Loss, canonical_loss_name, formula_loss
from ..errors import ConfigError
from ..numeric.finite_differences import DTYPES, KINK_POLICIES, METHODS
from .data import Dataset, file_sha256, read_npz
from .expressions import ExpressionError, compile_expression

__all__ = ["INIT_SCHEMES", "CheckOptions", "Config", "LayerSpec", "load_config"]

INIT_SCHEMES = ("auto", "he", "xavier", "normal")
DEFAULT_BATCH_SIZE = 8
# Bounds that keep a hostile or mistaken file from taking the machine: configs are a few kB and a
# few dozen nodes, while an alias bomb expands to billions of nodes from a few lines.
_MAX_YAML_NODES = 10_000
_MAX_YAML_DEPTH = 32
# Sizes beyond these are typos, not networks: refused before anything is estimated or allocated.
_MAX_SIZE = 10_000_000
_MAX_SEED = 2**63 - 1
_MAX_CONFIG_BYTES = 2**20

_TOP_LEVEL_KEYS = (
    "input_size",
    "layers",
    "loss",
    "batch_size",
    "seed",
    "init",
    "dtype",
    "data",
    "activations",
    "losses",
    "check",
)
_FORMULA_KEYS = ("f", "df")
_LOSS_FORMULA_KEYS = ("f", "df", "reduce")
_DATA_KEYS = ("path", "rows", "target", "classes", "standardize", "shuffle")
_LAYER_KEYS = ("units", "activation")
_CHECK_KEYS = ("method", "eps", "rtol", "atol", "sample", "directions", "kinks")

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class LayerSpec:
    """One layer: ``units`` neurons followed by ``activation``."""

    units: int
    activation: str


@dataclass(frozen=True)
class CheckOptions:
    """How the numerical side is computed and judged.

    ``eps``, ``rtol`` and ``atol`` left as None take the method's defaults. An element fails only
    if rel > rtol AND |analytic − numeric| > atol. ``sample`` checks that many elements per
    tensor, ``directions`` that many random directional derivatives; neither means every element.
    """

    method: str = "central"
    eps: float | None = None
    rtol: float | None = None
    atol: float | None = None
    sample: int | None = None
    directions: int | None = None
    kinks: str = "report"
    dtype: str = "float64"

    @property
    def step(self) -> float:
        return self.eps if self.eps is not None else METHODS[self.method].defaults(self.dtype).eps

    @property
    def relative_tolerance(self) -> float:
        return (
            self.rtol if self.rtol is not None else METHODS[self.method].defaults(self.dtype).rtol
        )

    @property
    def absolute_tolerance(self) -> float:
        return (
            self.atol if self.atol is not None else METHODS[self.method].defaults(self.dtype).atol
        )

    @property
    def mode(self) -> str:
        """'sample', 'directions' or 'full'."""
        if self.sample is not None:
            return "sample"
        return "directions" if self.directions is not None else "full"


@dataclass(frozen=True)
class Config:
    """A validated network spec. Build one with :func:`load_config`."""

    input_size: int
    layers: tuple[LayerSpec, ...]
    loss: str
    batch_size: int = DEFAULT_BATCH_SIZE
    seed: int = 0
    init: str = "auto"
    check: CheckOptions = field(default_factory=CheckOptions)
    source: str = "<dict>"
    data: Dataset | None = field(default=None, compare=False)
    # Activations and losses defined as formulas in the config, by name.
    custom_activations: Mapping[str, Activation] = field(default_factory=dict, compare=False)
    custom_losses: Mapping[str, Loss] = field(default_factory=dict, compare=False)
    # Where each key path ('layers[0].units') starts in the YAML file: (line, column).
    locations: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False)

    def error(self, key: str, message: str) -> ConfigError:
        """An error about this config's ``key``, located in its file when it came from one."""
        line, column = self.locations.get(key, (None, None))
        return ConfigError(message, source=self.source, key=key, line=line, column=column)

    # The bytes the config was read from (YAML text, or canonical JSON of a mapping), for a hash
    # that identifies the run.
    text: str = field(default="", compare=False, repr=False)

    @property
    def dtype(self) -> str:
        return self.check.dtype

    def activation(self, name: str) -> Activation:
        """The activation called ``name``: the config's own formulas first, then the built-ins."""
        return self.custom_activations.get(name) or ACTIVATIONS[name]

    def loss_function(self) -> Loss:
        return self.custom_losses.get(self.loss) or LOSSES[self.loss]

    def with_overrides(
        self,
        *,
        eps: float | None = None,
        rtol: float | None = None,
        atol: float | None = None,
        seed: int | None = None,
        batch_size: int | None = None,
        method: str | None = None,
        sample: int | None = None,
        directions: int | None = None,
        kinks: str | None = None,
        dtype: str | None = None,
    ) -> Config:
        """A copy with command-line style overrides applied (None keeps the file's value)."""
        where = _Locator(source="command line", marks={}, key_marks={})
        check = self.check
        new_method = method is not None and method != check.method
        new_dtype = dtype is not None and dtype != check.dtype
        if new_method or new_dtype:
            # Step and tolerances belong to a method and a precision: the file's were chosen
            # for its own.
            check = dataclasses.replace(check, eps=None, rtol=None, atol=None)
        check_changes: dict[str, Any] = {
            name: _positive_or_zero_float(value, (f"--{name}",), where, strict=name == "eps")
            for name, value in (("eps", eps), ("rtol", rtol), ("atol", atol))
            if value is not None
        }
        if method is not None:
            check_changes["method"] = _method(method, ("--method",), where)
            _check_complex_step(
                method,
                self.layers,
                self.loss,
                self.custom_activations,
                self.custom_losses,
                where,
                ("--method",),
            )
        if kinks is not None:
            check_changes["kinks"] = _choice(
                kinks, tuple(KINK_POLICIES), ("--kinks",), where, "kink policy"
            )
        if dtype is not None:
            check_changes["dtype"] = _choice(dtype, DTYPES, ("--dtype",), where, "dtype")
        if sample is not None and directions is not None:
            raise where.error(("--sample",), "choose either --sample or --directions, not both.")
        if sample is not None:
            check_changes["sample"] = _int_at_least(sample, 1, ("--sample",), where)
            check_changes["directions"] = None
        if directions is not None:
            check_changes["directions"] = _int_at_least(directions, 1, ("--directions",), where)
            check_changes["sample"] = None
        changes: dict[str, Any] = {"check": dataclasses.replace(check, **check_changes)}
        if seed is not None:
            changes["seed"] = _int_at_least(seed, 0, ("--seed",), where, maximum=_MAX_SEED)
        if batch_size is not None:
            changes["batch_size"] = _int_at_least(batch_size, 1, ("--batch-size",), where)
            if self.data is not None and batch_size > self.data.x.shape[0]:
                raise where.error(
                    ("--batch-size",),
                    f"asks for {batch_size} rows but {self.data.path.name} has "
                    f"{self.data.x.shape[0]}.",
                )
        return dataclasses.replace(self, **changes)

    @property
    def sha256(self) -> str:
        """A hash of what the config was read from."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def load_config(source: str | Path | Mapping[str, Any]) -> Config:
    """Read a YAML file (path) or a mapping and validate it into a :class:`Config`."""
    if isinstance(source, Mapping):
        text = json.dumps(source, sort_keys=True, default=str)
        where = _Locator(source="<dict>", marks={}, key_marks={})
        return dataclasses.replace(_validate(source, where, folder=Path.cwd()), text=text)
    path = Path(source)
    data, marks, key_marks, text = _read_yaml(path)
    where = _Locator(source=str(path), marks=marks, key_marks=key_marks)
    return dataclasses.replace(_validate(data, where, folder=path.parent), text=text)


# ----------------------------------------------------------------------------- YAML reading


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads YAML 1.2 floats such as ``1e-6`` (1.1 wants ``1.0e-6``)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _read_yaml(
    path: Path,
) -> tuple[Any, dict[KeyPath, yaml.Mark], dict[KeyPath, yaml.Mark], str]:
    try:
        size = path.stat().st_size
        if size > _MAX_CONFIG_BYTES and path.is_file():
            raise ConfigError(
                f"is {size / 2**20:.1f} MiB; a config is a few kB, so bpcheck refuses to read "
                f"more than {_MAX_CONFIG_BYTES // 2**20} MiB (is this the right file?).",
                source=str(path),
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found.", source=str(path)) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, expected a YAML file.", source=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text, expected a YAML file.", source=str(path)) from None
    except OSError as error:
        raise ConfigError(f"cannot be read ({error.strerror}).", source=str(path)) from None
    loader = None
    try:
        # Building the loader already reads the text, which may hold characters YAML forbids.
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            raise ConfigError("is empty, expected a YAML mapping.", source=str(path))
        marks: dict[KeyPath, yaml.Mark] = {}
        key_marks: dict[KeyPath, yaml.Mark] = {}
        data = _construct(node, (), (marks, key_marks), loader, str(path))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        if error.context and error.context_mark and error.problem:
            where = f"line {error.context_mark.line + 1}, column {error.context_mark.column + 1}"
            problem = f"{error.context} ({where}): {error.problem}"
        raise ConfigError(
            f"is not valid YAML: {problem}.",
            source=str(path),
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        raise ConfigError(
            f"is not valid YAML: control character #x{error.character:04x} is not allowed.",
            source=str(path),
            line=line,
            column=column,
        ) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"is not valid YAML: {error}.", source=str(path)) from None
    except RecursionError:
        raise ConfigError(
            "is nested too deeply (or an anchor contains an alias to itself); a config needs a "
            "few levels.",
            source=str(path),
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, marks, key_marks, text


def _construct(
    node: yaml.Node,
    path: KeyPath,
    all_marks: tuple[dict[KeyPath, yaml.Mark], dict[KeyPath, yaml.Mark]],
    loader: _Loader,
    source: str,
) -> Any:
    """Build plain Python data from the node tree, remembering where each value and key starts."""
    marks, key_marks = all_marks
    if len(marks) >= _MAX_YAML_NODES:
        raise ConfigError(
            f"expands to more than {_MAX_YAML_NODES:,} YAML nodes (anchors and aliases "
            "repeated inside each other?); a config needs a few dozen.",
            source=source,
            key=_format_path(path) or None,
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
        )
    if len(path) > _MAX_YAML_DEPTH:
        raise ConfigError(
            f"is nested more than {_MAX_YAML_DEPTH} levels deep (or an anchor contains an alias "
            "to itself); a config needs a few.",
            source=source,
            key=_format_path(path[:4]) + "…",
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
        )
    marks[path] = node.start_mark
    default_tag = {
        yaml.MappingNode: "tag:yaml.org,2002:map",
        yaml.SequenceNode: "tag:yaml.org,2002:seq",
    }.get(type(node))
    if default_tag is not None and node.tag != default_tag:
        raise ConfigError(
            f"is not valid YAML here: the tag '{node.tag}' is not allowed; a config holds plain "
            "mappings, lists and scalars.",
            source=source,
            key=_format_path(path) or None,
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
        )
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise ConfigError(
                    f"keys must be names, found {key!r}.",
                    source=source,
                    key=_format_path(path) or None,
                    line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1,
                )
            if key in result:
                raise ConfigError(
                    "appears twice in the same mapping.",
                    source=source,
                    key=_format_path((*path, key)),
                    line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1,
                )
            key_marks[(*path, key)] = key_node.start_mark
            result[key] = _construct(value_node, (*path, key), all_marks, loader, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, index), all_marks, loader, source)
            for index, item in enumerate(node.value)
        ]
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:
        # Python refuses to turn more than 4,300 digits into an int.
        raise ConfigError(
            f"holds a number of {len(str(node.value))} digits, far beyond any sensible value.",
            source=source,
            key=_format_path(path) or None,
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
        ) from None


# ----------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class _Locator:
    source: str
    marks: Mapping[KeyPath, yaml.Mark]
    key_marks: Mapping[KeyPath, yaml.Mark]

    def error(self, path: KeyPath, message: str, *, at_key: bool = False) -> ConfigError:
        """An error located at the value of ``path``, or at its key when ``at_key``."""
        mark = (self.key_marks if at_key else self.marks).get(path)
        return ConfigError(
            message,
            source=self.source,
            key=_format_path(path) or None,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        )


def _format_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        return f"an integer of {len(str(abs(value)))} digits"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _check_keys(
    mapping: Mapping[str, Any], allowed: tuple[str, ...], path: KeyPath, where: _Locator
) -> None:
    for key in mapping:
        if key not in allowed:
            raise where.error(
                (*path, key),
                f"unknown key '{key}'.{_did_you_mean(key, allowed)} "
                f"Allowed here: {', '.join(allowed)}.",
                at_key=True,
            )


def _require_mapping(value: Any, path: KeyPath, where: _Locator, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise where.error(path, f"expected {what}, found {_describe(value)}.")
    return value


def _int_at_least(
    value: Any, minimum: int, path: KeyPath, where: _Locator, *, maximum: int = _MAX_SIZE
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.error(path, f"expected a whole number ≥ {minimum}, found {_describe(value)}.")
    if value < minimum:
        raise where.error(path, f"expected a whole number ≥ {minimum}, found {_describe(value)}.")
    if value > maximum:
        raise where.error(
            path, f"expected a whole number ≤ {maximum:,}, found {_describe(value)} (a typo?)."
        )
    return value


def _positive_or_zero_float(
    value: Any, path: KeyPath, where: _Locator, *, strict: bool = False
) -> float:
    """A finite float, in (0, 1) when ``strict`` (a step) else ≥ 0. Numeric strings count."""
    expected = "a finite number > 0 and < 1" if strict else "a finite number ≥ 0"
    number: float | None = None
    try:
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if is_number or isinstance(value, str):
            number = float(value)
    except (ValueError, OverflowError):
        number = None
    if number is None or not math.isfinite(number):
        raise where.error(path, f"expected {expected}, found {_describe(value)}.")
    # A step of 1 or more is no longer a derivative estimate for inputs and weights of order 1.
    if number < 0 or (strict and not 0 < number < 1):
        raise where.error(path, f"expected {expected}, found {_describe(value)}.")
    return number


def _choice(value: Any, choices: tuple[str, ...], path: KeyPath, where: _Locator, what: str) -> str:
    if not isinstance(value, str) or value not in choices:
        hint = _did_you_mean(value, choices) if isinstance(value, str) else ""
        raise where.error(
            path, f"unknown {what} {_describe(value)}. Expected one of: {', '.join(choices)}.{hint}"
        )
    return value


def _validate(data: Any, where: _Locator, *, folder: Path) -> Config:
    top = _require_mapping(data, (), where, "a mapping of keys such as input_size, layers, loss")
    _check_keys(top, _TOP_LEVEL_KEYS, (), where)
    for required in ("input_size", "layers", "loss"):
        if required not in top:
            raise where.error(
                (), f"missing required key '{required}'. Required: input_size, layers, loss."
            )

    input_size = _int_at_least(top["input_size"], 1, ("input_size",), where)
    activations = _validate_activations(top.get("activations", {}), where)
    losses = _validate_losses(top.get("losses", {}), where)
    layers = _validate_layers(top["layers"], where, activations)
    loss = _validate_loss(top["loss"], layers, where, losses, activations)

    batch_size = _int_at_least(top.get("batch_size", DEFAULT_BATCH_SIZE), 1, ("batch_size",), where)
    seed = _int_at_least(top.get("seed", 0), 0, ("seed",), where, maximum=_MAX_SEED)
    init = top.get("init", "auto")
    if init not in INIT_SCHEMES:
        raise where.error(
            ("init",),
            f"unknown init scheme {_describe(init)}. Expected one of: {', '.join(INIT_SCHEMES)}."
            + (_did_you_mean(init, INIT_SCHEMES) if isinstance(init, str) else ""),
        )
    check = _validate_check(top.get("check", {}), where)
    if "dtype" in top:
        check = dataclasses.replace(
            check, dtype=_choice(top["dtype"], DTYPES, ("dtype",), where, "dtype")
        )
    _check_complex_step(check.method, layers, loss, activations, losses, where, ("check", "method"))
    dataset = None
    if "data" in top:
        dataset = _validate_data(top["data"], where, folder, input_size, layers, loss)
        # A file's batch is its first rows: data.rows of them, else batch_size, else up to the
        # default, because a finite-difference check wants few samples.
        rows = dataset.x.shape[0]
        if "rows" in top["data"]:
            batch_size = top["data"]["rows"]
        elif "batch_size" not in top:
            batch_size = min(DEFAULT_BATCH_SIZE, rows)
        if batch_size > rows:
            key = ("data", "rows") if "rows" in top["data"] else ("batch_size",)
            raise where.error(
                key, f"asks for {batch_size} rows but {dataset.path.name} has {rows}."
            )
    return Config(
        input_size=input_size,
        layers=layers,
        loss=loss,
        batch_size=batch_size,
        seed=seed,
        init=init,
        check=check,
        source=where.source,
        data=dataset,
        custom_activations=activations,
        custom_losses=losses,
        locations={
            _format_path(path): (mark.line + 1, mark.column + 1)
            for path, mark in where.marks.items()
        },
    )


def _validate_layers(
    value: Any, where: _Locator, custom: Mapping[str, Activation]
) -> tuple[LayerSpec, ...]:
    if not isinstance(value, list) or not value:
        raise where.error(
            ("layers",),
            "expected a non-empty list of layers such as {units: 8, activation: relu}, "
            f"found {_describe(value)}.",
        )
    known = {**ACTIVATIONS, **custom}
    names = sorted(known)
    layers = []
    for index, item in enumerate(value):
        path: KeyPath = ("layers", index)
        layer = _require_mapping(item, path, where, "a layer such as {units: 8, activation: relu}")
        _check_keys(layer, _LAYER_KEYS, path, where)
        for required in _LAYER_KEYS:
            if required not in layer:
                raise where.error(path, f"layer {index + 1} is missing '{required}'.")
        units = _int_at_least(layer["units"], 1, (*path, "units"), where)
        activation = layer["activation"]
        if not isinstance(activation, str) or activation not in known:
            hint = _did_you_mean(activation, names) if isinstance(activation, str) else ""
            raise where.error(
                (*path, "activation"),
                f"unknown activation {_describe(activation)}. "
                f"Expected one of: {', '.join(names)}.{hint}",
            )
        is_output = index == len(value) - 1
        if activation == "softmax" and units == 1:
            raise where.error(
                (*path, "units"),
                "a softmax over 1 unit is the constant 1, so nothing can be learned or checked; "
                "use sigmoid for a single output.",
            )
        if not is_output and not known[activation].hidden_ok:
            raise where.error(
                (*path, "activation"),
                f"'{activation}' is only allowed in the output (last) layer, as in the seed §3.3; "
                f"layer {index + 1} of {len(value)} is hidden.",
            )
        layers.append(LayerSpec(units=units, activation=activation))
    return tuple(layers)


def _validate_loss(
    value: Any,
    layers: tuple[LayerSpec, ...],
    where: _Locator,
    custom: Mapping[str, Loss],
    activations: Mapping[str, Activation],
) -> str:
    if isinstance(value, str) and value in custom:
        return value
    canonical = canonical_loss_name(value) if isinstance(value, str) else None
    if canonical is None:
        choices = sorted(LOSS_ALIASES) + sorted(custom)
        hint = _did_you_mean(value, choices) if isinstance(value, str) else ""
        own = f" and this config's own: {', '.join(sorted(custom))}" if custom else ""
        raise where.error(
            ("loss",),
            f"unknown loss {_describe(value)}. Expected one of: {', '.join(sorted(LOSSES))} "
            f"(or an alias: {', '.join(sorted(set(LOSS_ALIASES) - set(LOSSES)))}){own}.{hint}",
        )
    output = layers[-1].activation
    output_activation = activations.get(output) or ACTIVATIONS[output]
    if LOSSES[canonical].needs_probabilities and not output_activation.probabilities:
        raise where.error(
            ("loss",),
            f"'{canonical}' takes logs of the outputs, so the last layer must produce values "
            f"in (0, 1) (sigmoid or softmax); it is '{output}'.",
        )
    return canonical


def _method(value: Any, path: KeyPath, where: _Locator) -> str:
    if not isinstance(value, str) or value not in METHODS:
        hint = _did_you_mean(value, list(METHODS)) if isinstance(value, str) else ""
        raise where.error(
            path,
            f"unknown method {_describe(value)}. Expected one of: {', '.join(METHODS)}.{hint}",
        )
    return value


def _validate_check(value: Any, where: _Locator) -> CheckOptions:
    check = _require_mapping(
        value, ("check",), where, "a mapping with keys such as eps, rtol, atol"
    )
    _check_keys(check, _CHECK_KEYS, ("check",), where)
    if "sample" in check and "directions" in check:
        raise where.error(
            ("check", "directions"), "choose either sample or directions, not both.", at_key=True
        )
    options: dict[str, Any] = {}
    if "method" in check:
        options["method"] = _method(check["method"], ("check", "method"), where)
    for name in ("eps", "rtol", "atol"):
        if name in check:
            options[name] = _positive_or_zero_float(
                check[name], ("check", name), where, strict=name == "eps"
            )
    for name in ("sample", "directions"):
        if name in check:
            options[name] = _int_at_least(check[name], 1, ("check", name), where)
    if "kinks" in check:
        options["kinks"] = _choice(
            check["kinks"], tuple(KINK_POLICIES), ("check", "kinks"), where, "kink policy"
        )
    return CheckOptions(**options)


def _validate_data(
    value: Any,
    where: _Locator,
    folder: Path,
    input_size: int,
    layers: tuple[LayerSpec, ...],
    loss: str,
) -> Dataset:
    """Read and check the batch (and any parameters) in the file ``data.path`` names.

    A CSV also takes ``target`` (its label column) and ``classes`` (the labels to keep); any file
    takes ``standardize`` (features to mean 0, std 1 over the rows read) and ``shuffle`` (the rows
    in a seeded random order, so the first ``rows`` mix the classes of a sorted file).
    """
    spec = _require_mapping(value, ("data",), where, "a mapping with path (and rows)")
    _check_keys(spec, _DATA_KEYS, ("data",), where)
    if "path" not in spec:
        raise where.error(
            ("data",),
            "missing 'path': the .npz file holding x and y, or a .csv file with a header row.",
        )
    if not isinstance(spec["path"], str) or not spec["path"].strip():
        raise where.error(
            ("data", "path"), f"expected a file name, found {_describe(spec['path'])}."
        )
    if "\x00" in spec["path"]:
        raise where.error(
            ("data", "path"), f"the file name holds a NUL character ({spec['path']!r})."
        )
    path = folder / spec["path"]
    is_csv = path.suffix.lower() == ".csv"
    if not is_csv and path.suffix.lower() != ".npz":
        raise where.error(
            ("data", "path"),
            f"expected an .npz file with x and y, or a .csv file with a header row, "
            f"found '{path.name}'.",
        )
    if "rows" in spec:
        _int_at_least(spec["rows"], 1, ("data", "rows"), where)
    for name in ("target", "classes"):
        if name in spec and not is_csv:
            raise where.error(
                ("data", name),
                f"{name} is for CSV files; {path.name} is an .npz, whose y holds the labels.",
                at_key=True,
            )
    if is_csv and "target" not in spec:
        raise where.error(
            ("data",), f"missing 'target': the column of {path.name} that holds the labels."
        )

    def text(item: Any, key: KeyPath, what: str) -> str:
        # YAML reads a header such as 1 or a class such as 0 as a number; the file has text.
        if isinstance(item, bool) or not isinstance(item, (str, int, float)) or item == "":
            raise where.error(key, f"expected {what}, found {_describe(item)}.")
        return str(item).strip()

    def kept_classes(value: Any) -> list[str]:
        if not isinstance(value, list) or not value:
            raise where.error(
                ("data", "classes"),
                "expected a list of labels to keep such as [versicolor, virginica], "
                f"found {_describe(value)}.",
            )
        labels = [text(item, ("data", "classes", i), "a label") for i, item in enumerate(value)]
        for index, label in enumerate(labels):
            if labels.index(label) != index:
                raise where.error(("data", "classes", index), f"lists '{label}' twice.")
        return labels

    target = text(spec["target"], ("data", "target"), "a column name") if is_csv else ""
    classes = kept_classes(spec["classes"]) if "classes" in spec else None
    standardize = spec.get("standardize", False)
    if not isinstance(standardize, bool):
        raise where.error(
            ("data", "standardize"), f"expected true or false, found {_describe(standardize)}."
        )
    shuffle = spec.get("shuffle", False)
    # A number seeds the order, to try another batch of the same file; true means seed 0.
    seed = None if shuffle is False else 0 if shuffle is True else shuffle
    if seed is not None:
        seed = _int_at_least(seed, 0, ("data", "shuffle"), where, maximum=_MAX_SEED)

    def fail(message: str, key: KeyPath = ("path",)) -> ConfigError:
        return where.error(("data", *key), message)

    sizes = [input_size, *(layer.units for layer in layers)]
    if is_csv:
        dataset = Dataset.from_csv(
            path, target=target, classes=classes, loss=loss, sizes=sizes, fail=fail
        )
    else:
        arrays = read_npz(path, fail)
        dataset = Dataset.from_arrays(path, arrays, sizes, file_sha256(path), fail)
    _check_labels(dataset.y, loss, lambda message: fail(f"{path.name}: {message}"))
    return dataset.prepared(standardize=standardize, shuffle=seed)


def _check_labels(y: np.ndarray, loss: str, fail: Any) -> None:
    """Labels must fit the loss: one-hot or distributions for CCE, probabilities for BCE."""
    if loss == "binary_crossentropy" and (np.any(y < 0) or np.any(y > 1)):
        raise fail("binary cross-entropy needs labels y in [0, 1].")
    if loss == "categorical_crossentropy" and (
        np.any(y < 0) or not np.allclose(y.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    ):
        raise fail(
            "categorical cross-entropy needs label rows that are ≥ 0 and sum to 1 (one-hot)."
        )


# ----------------------------------------------------------------------------- formulas


def _formula(text: Any, path: KeyPath, where: _Locator, variables: tuple[str, ...]) -> Any:
    try:
        return compile_expression(text, variables=variables)
    except ExpressionError as error:
        raise where.error(path, error.message) from None


_SINGULAR = {"activations": "activation", "losses": "loss"}


def _formula_names(section: str, value: Any, where: _Locator, taken: Mapping[str, Any]) -> Any:
    entries = _require_mapping(value, (section,), where, "a mapping of names to formulas")
    for name in entries:
        if not name.isidentifier():
            raise where.error(
                (section, name), f"'{name}' is not a usable name (letters, digits, _).", at_key=True
            )
        if name in taken:
            raise where.error(
                (section, name),
                f"'{name}' is already a built-in {_SINGULAR[section]}; choose another name.",
                at_key=True,
            )
    return entries


def _formula_pair(
    section: str, name: str, spec: Any, where: _Locator, variables: tuple[str, ...]
) -> tuple[Mapping[str, Any], Any, Any]:
    """One entry of ``activations:`` or ``losses:``: its mapping and its compiled f and df."""
    path: KeyPath = (section, name)
    what = " and ".join(variables)
    keys = _FORMULA_KEYS if section == "activations" else _LOSS_FORMULA_KEYS
    entry = _require_mapping(spec, path, where, f"a mapping with f and df, formulas in {what}")
    _check_keys(entry, keys, path, where)
    for key in _FORMULA_KEYS:
        if key not in entry:
            raise where.error(
                path, f"{_SINGULAR[section]} '{name}' is missing '{key}' (a formula in {what})."
            )
    formulas = [_formula(entry[key], (*path, key), where, variables) for key in _FORMULA_KEYS]
    return entry, formulas[0], formulas[1]


def _validate_activations(value: Any, where: _Locator) -> dict[str, Activation]:
    """``activations: {name: {f: "...", df: "..."}}``: formulas in x."""
    activations = {}
    for name, spec in _formula_names("activations", value, where, ACTIVATIONS).items():
        _, f, df = _formula_pair("activations", name, spec, where, ("x",))
        activations[name] = formula_activation(name, f, df)
    return activations


def _validate_losses(value: Any, where: _Locator) -> dict[str, Loss]:
    """``losses: {name: {f: "...", df: "...", reduce: sum|mean}}``: formulas in yhat and y."""
    taken = {**LOSSES, **LOSS_ALIASES}
    losses = {}
    for name, spec in _formula_names("losses", value, where, taken).items():
        entry, f, df = _formula_pair("losses", name, spec, where, ("yhat", "y"))
        path: KeyPath = ("losses", name, "reduce")
        reduce = _choice(entry.get("reduce", "sum"), ("sum", "mean"), path, where, "reduce")
        losses[name] = formula_loss(name, f, df, reduce)
    return losses


def _check_complex_step(
    method: str,
    layers: tuple[LayerSpec, ...],
    loss: str,
    activations: Mapping[str, Activation],
    losses: Mapping[str, Loss],
    where: _Locator,
    path: KeyPath,
) -> None:
    """The complex step needs complex-analytic functions; some formulas are not."""
    if method != "complex-step":
        return
    unsafe = [layer.activation for layer in layers if layer.activation in activations]
    unsafe = [name for name in unsafe if not activations[name].complex_safe]
    if loss in losses and not losses[loss].complex_safe:
        unsafe.append(loss)
    if unsafe:
        raise where.error(
            path,
            f"complex-step needs complex-analytic formulas, and {', '.join(sorted(set(unsafe)))} "
            f"{'uses' if len(set(unsafe)) == 1 else 'use'} abs, sign, where, maximum, minimum, "
            "clip or a comparison; use central or richardson.",
        )
