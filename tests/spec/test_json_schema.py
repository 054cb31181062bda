"""The config's JSON Schema: shipped configs validate, the loader and the schema accept the same
keys (walked both ways, by asking the loader), and bad configs fail."""

from __future__ import annotations

import copy
import itertools
import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from backprop_check import ConfigError, load_config
from backprop_check.spec import json_schema
from backprop_check.spec.keys import KINDS
from backprop_check.spec.reading import read_document

from ..helpers import FULL, ROOT

SHIPPED = sorted((ROOT / "configs").glob("**/*.yaml"))
BASE: dict[str, Any] = {
    "input_size": 2,
    "layers": [{"units": 1, "activation": "sigmoid"}],
    "loss": "mse",
}
_UNKNOWN = "zz_not_a_key"


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json_schema.config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _problems(validator: Any, config: Any) -> list[str]:
    return [error.message for error in validator.iter_errors(config)]


def test_the_schema_is_draft_2020_12_and_the_text_is_it() -> None:
    schema = json.loads(json_schema.schema_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema == json_schema.config_schema()


def test_every_kind_of_value_has_a_schema() -> None:
    assert set(json_schema._KIND_SCHEMAS) == set(KINDS)


@pytest.mark.parametrize("path", SHIPPED, ids=[path.name for path in SHIPPED])
def test_every_shipped_config_validates(validator: Any, path: Path) -> None:
    assert SHIPPED, "no configs found"
    assert _problems(validator, read_document(path).data) == []


def test_the_starter_and_the_documented_example_validate(validator: Any, tmp_path: Path) -> None:
    starter = tmp_path / "starter.yaml"
    starter.write_text(files("backprop_check").joinpath("templates/starter.yaml").read_text())
    example = tmp_path / "full.yaml"
    example.write_text(FULL)
    for path in (starter, example):
        assert _problems(validator, read_document(path).data) == []


def _sections(schema: dict[str, Any], path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    """Every place in the schema that holds keys: its key path (lists at item 0, named entries
    at 'mine') and the keys the schema allows there."""
    found = {path: set(schema["properties"])}
    for name, value in schema["properties"].items():
        if value.get("type") == "object" and "properties" in value:
            found |= _sections(value, (*path, name))
        elif value.get("type") == "array" and "properties" in value.get("items", {}):
            found |= _sections(value["items"], (*path, name, 0))
        elif isinstance(value.get("additionalProperties"), dict):
            found |= _sections(value["additionalProperties"], (*path, name, "mine"))
    return found


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """BASE with ``value`` placed at ``path`` (a list or mapping made on the way)."""
    config = copy.deepcopy(BASE)
    if not path:
        return {**config, **value}
    place: Any = config
    for step, following in itertools.pairwise(path):
        place[step] = [{}] if isinstance(following, int) else {}
        place = place[step]
    place[path[-1]] = value
    return config


def _loader_allows(path: tuple[Any, ...]) -> set[str]:
    """The keys the loader allows at ``path``, as its unknown-key message lists them."""
    with pytest.raises(ConfigError) as caught:
        load_config(_with(path, {_UNKNOWN: 1}))
    message = str(caught.value)
    assert f"unknown key '{_UNKNOWN}'" in message, message
    listed = re.search(r"Allowed here: (.*?)\.$", message.splitlines()[-1].strip())
    assert listed, message
    return set(listed.group(1).split(", "))


def test_the_loader_and_the_schema_allow_the_same_keys_everywhere() -> None:
    sections = _sections(json_schema.config_schema())
    # The schema knows every section the loader validates, at least these.
    expected = {(), ("layers", 0), ("activations", "mine"), ("losses", "mine"), ("data",)}
    assert {*expected, ("check",)} <= set(sections)
    for path, allowed in sections.items():
        assert _loader_allows(path) == allowed, path


def test_a_key_the_schema_lacks_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from backprop_check.spec import keys

    shorter = tuple(key for key in keys.TOP_LEVEL if key.name != "dtype")
    monkeypatch.setattr(json_schema, "TOP_LEVEL", shorter)
    sections = _sections(json_schema.config_schema())
    assert _loader_allows(()) - sections[()] == {"dtype"}


def test_a_section_module_adds_its_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from backprop_check.spec.keys import Key

    module = types.ModuleType("backprop_check.spec.extra_section")
    module.SCHEMA_KEYS = (  # type: ignore[attr-defined]
        Key("extra", "section", "a section", keys=(Key("on", "flag", "a switch"),)),
    )
    monkeypatch.setitem(__import__("sys").modules, module.__name__, module)
    monkeypatch.setattr(json_schema, "SECTION_MODULES", ("extra_section", "not_there"))
    schema = json_schema.config_schema()
    assert schema["properties"]["extra"]["properties"]["on"]["type"] == "boolean"


def _whole_keys(schema: dict[str, Any]) -> list[tuple[tuple[str, ...], int]]:
    places = [((name,), value) for name, value in schema["properties"].items()]
    places += [(("check", name), value) for name, value in _check(schema).items()]
    return [(path, value["minimum"]) for path, value in places if value.get("type") == "integer"]


def _check(schema: dict[str, Any]) -> dict[str, Any]:
    return schema["properties"]["check"]["properties"]


def test_bounds_and_choices_are_the_loaders(validator: Any) -> None:
    schema = json_schema.config_schema()
    wholes = _whole_keys(schema)
    assert len(wholes) >= 4
    for path, minimum in wholes:
        below = _with(path, minimum - 1)
        assert _problems(validator, below), path
        with pytest.raises(ConfigError):
            load_config(below)
        at = _with(path, minimum)
        assert _problems(validator, at) == [], path
        load_config(at)
    choices = [((name,), value) for name, value in schema["properties"].items()]
    choices += [(("check", name), value) for name, value in _check(schema).items()]
    for path, value in choices:
        for word in value.get("enum", []):
            load_config(_with(path, word))
            assert _problems(validator, _with(path, word)) == [], (path, word)


BAD = {
    "an unknown key": {**BASE, "layer": []},
    "a missing key": {key: value for key, value in BASE.items() if key != "loss"},
    "a wrong choice": {**BASE, "init": "glorot"},
    "a size below 1": {**BASE, "input_size": 0},
    "a float size": {**BASE, "batch_size": 2.5},
    "sample and directions": {**BASE, "check": {"sample": 2, "directions": 2}},
    "a step of 1": {**BASE, "check": {"eps": 1}},
    "a layer without units": {**BASE, "layers": [{"activation": "relu"}]},
    "a formula without f": {**BASE, "activations": {"mine": {"df": "1"}}},
    "a name with a dash": {**BASE, "activations": {"my-act": {"f": "x", "df": "1"}}},
    "an unknown check key": {**BASE, "check": {"method": "central", "tol": 1}},
}


@pytest.mark.parametrize("config", BAD.values(), ids=list(BAD))
def test_a_bad_config_fails_validation_and_loading(validator: Any, config: Any) -> None:
    assert _problems(validator, config)
    with pytest.raises(ConfigError):
        load_config(config)


def test_numbers_as_text_are_numbers_as_for_the_loader(validator: Any) -> None:
    config = {**BASE, "check": {"eps": "1e-6", "rtol": "1e-4"}}
    assert _problems(validator, config) == []
    load_config(config)
    assert _problems(validator, {**BASE, "check": {"eps": "small"}})


def test_a_section_module_without_schema_keys_is_read_from_its_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shape of the impl: block's tables: defaults per key, the words each may take."""
    import sys
    import types

    module = types.ModuleType("backprop_check.spec.block_section")
    module.__doc__ = "The ``block:`` section and ``strength:``."
    module.LAYOUTS = ("rows", "columns")  # type: ignore[attr-defined]
    module.RESULTS = ("dW", "db", "phi")  # type: ignore[attr-defined]
    module.REQUIRED_RESULTS = ("dW", "db")  # type: ignore[attr-defined]
    module.BLOCK_DEFAULTS = {  # type: ignore[attr-defined]
        "file": "network.py",
        "backward": "backward",
        "layout": "rows",
        "per_sample": False,
        "returns": ["dW", "db"],
        "loss": None,
    }
    module.BLOCK_KEYS = tuple(module.BLOCK_DEFAULTS)  # type: ignore[attr-defined]
    module.STRENGTH_KEYS = ("l2", "half_l2")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(json_schema, "SECTION_MODULES", ("block_section",))
    schema = json_schema.config_schema()
    validator = jsonschema.Draft202012Validator(schema)
    block = schema["properties"]["block"]["properties"]
    assert list(block) == ["file", "backward", "layout", "per_sample", "returns", "loss"]
    assert block["backward"]["type"] == "string"  # a name of the user's, not one of the keys
    assert block["layout"]["enum"] == ["rows", "columns"]
    assert block["returns"]["items"]["enum"] == ["dW", "db", "phi"]
    assert "strength" in schema["properties"]
    good = {**BASE, "block": {"layout": "columns", "returns": ["db", "dW"], "loss": None}}
    assert _problems(validator, {**good, "strength": {"l2": 0.1}}) == []
    assert _problems(validator, {**good, "block": {"backward": "my_backward"}}) == []
    assert _problems(validator, {**good, "block": {"layout": "diagonal"}})
    assert _problems(validator, {**good, "block": {"returns": ["dW", "grad"]}})
    assert _problems(validator, {**good, "strength": {"l2": 0.1, "half_l2": 0.1}})
    assert _problems(validator, {**good, "strength": {}})
