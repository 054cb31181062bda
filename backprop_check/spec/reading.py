"""Reading a config file into plain data, remembering where every value and key starts.

A :class:`Document` is what the validators see (plain dicts, lists and scalars) plus the
positions that :meth:`Document.locate` adds to their errors: file, line and column, once.
Resource guards bound what a hostile or mistaken file can cost: its size, the nodes its aliases
expand to, and its nesting depth.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import BackpropCheckError, ConfigError, KeyPath, file_problem, format_key_path

__all__ = ["Document", "document_from_mapping", "read_document"]

# Bounds that keep a hostile or mistaken file from taking the machine: configs are a few kB and a
# few dozen nodes, while an alias bomb expands to billions of nodes from a few lines.
MAX_CONFIG_BYTES = 2**20
MAX_YAML_NODES = 10_000
MAX_YAML_DEPTH = 32

# (line, column), both from 1.
Position = tuple[int, int]


@dataclass(frozen=True)
class Document:
    """A config's plain data, its source and text, and where each key path starts in it."""

    source: str
    data: Any
    text: str
    # Where the value at each key path starts, and where its key does.
    values: Mapping[KeyPath, Position] = field(default_factory=dict)
    keys: Mapping[KeyPath, Position] = field(default_factory=dict)

    def locate(self, error: BackpropCheckError) -> ConfigError:
        """``error`` with this document's source and the position of its key path added."""
        if isinstance(error, ConfigError):
            return error
        positions = self.keys if error.at_key else self.values
        line, column = positions.get(error.key_path, (None, None))
        return ConfigError(
            error.parts,
            source=self.source,
            key_path=error.key_path,
            line=line,
            column=column,
            at_key=error.at_key,
        )

    @property
    def locations(self) -> dict[str, Position]:
        """Value positions by key path as text (``layers[0].units``)."""
        return {format_key_path(path): position for path, position in self.values.items()}


def document_from_mapping(mapping: Mapping[str, Any]) -> Document:
    """A mapping given in Python: no positions; its text is canonical JSON, for the run's hash."""
    return Document(
        source="<dict>", data=mapping, text=json.dumps(mapping, sort_keys=True, default=str)
    )


def read_document(path: Path) -> Document:
    """Read and parse the YAML file at ``path``; any problem is a located ConfigError."""
    source = str(path)
    text = _read_text(path)
    loader = None
    try:
        # Building the loader already reads the text, which may hold characters YAML forbids.
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            raise ConfigError("is empty, expected a YAML mapping.", source=source)
        builder = _Builder(loader, source)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, source) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        raise ConfigError(
            f"is not valid YAML: control character #x{error.character:04x} is not allowed.",
            source=source,
            line=line,
            column=column,
        ) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"is not valid YAML: {error}.", source=source) from None
    except RecursionError:
        raise ConfigError(
            "is nested too deeply (or an anchor contains an alias to itself); a config needs a "
            "few levels.",
            source=source,
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(source, data, text, builder.values, builder.keys)


def _read_text(path: Path) -> str:
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES and path.is_file():
            raise ConfigError(
                f"is {size / 2**20:.1f} MiB; a config is a few kB, so bpcheck refuses to read "
                f"more than {MAX_CONFIG_BYTES // 2**20} MiB (is this the right file?).",
                source=source,
            )
        return path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise ConfigError("is a directory, expected a YAML file.", source=source) from None
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text, expected a YAML file.", source=source) from None
    except OSError as error:
        raise ConfigError(f"file {file_problem(error)}.", source=source) from None


def _syntax_error(error: yaml.MarkedYAMLError, source: str) -> ConfigError:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "invalid YAML"
    if error.context and error.context_mark and error.problem:
        where = f"line {error.context_mark.line + 1}, column {error.context_mark.column + 1}"
        problem = f"{error.context} ({where}): {error.problem}"
    return ConfigError(
        f"is not valid YAML: {problem}.",
        source=source,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
    )


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads YAML 1.2 floats such as ``1e-6`` (1.1 wants ``1.0e-6``)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)

_DEFAULT_TAGS = {
    yaml.MappingNode: "tag:yaml.org,2002:map",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
}


class _Builder:
    """Builds plain Python data from the node tree, remembering where each value and key starts."""

    def __init__(self, loader: _Loader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.values: dict[KeyPath, Position] = {}
        self.keys: dict[KeyPath, Position] = {}

    def error(self, message: str, mark: yaml.Mark, key: str | None = None) -> ConfigError:
        return ConfigError(
            message, source=self.source, key=key, line=mark.line + 1, column=mark.column + 1
        )

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.check_bounds(node, path)
        self.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        default_tag = _DEFAULT_TAGS.get(type(node))
        if default_tag is not None and node.tag != default_tag:
            raise self.error(
                f"is not valid YAML here: the tag '{node.tag}' is not allowed; a config holds "
                "plain mappings, lists and scalars.",
                node.start_mark,
                format_key_path(path) or None,
            )
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError:
            # Python refuses to turn more than 4,300 digits into an int.
            raise self.error(
                f"holds a number of {len(str(node.value))} digits, far beyond any sensible value.",
                node.start_mark,
                format_key_path(path) or None,
            ) from None

    def check_bounds(self, node: yaml.Node, path: KeyPath) -> None:
        if len(self.values) >= MAX_YAML_NODES:
            raise self.error(
                f"expands to more than {MAX_YAML_NODES:,} YAML nodes (anchors and aliases "
                "repeated inside each other?); a config needs a few dozen.",
                node.start_mark,
                format_key_path(path) or None,
            )
        if len(path) > MAX_YAML_DEPTH:
            raise self.error(
                f"is nested more than {MAX_YAML_DEPTH} levels deep (or an anchor contains an "
                "alias to itself); a config needs a few.",
                node.start_mark,
                format_key_path(path[:4]) + "…",
            )

    def mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        self.loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise self.error(
                    f"keys must be names, found {key!r}.",
                    key_node.start_mark,
                    format_key_path(path) or None,
                )
            if key in result:
                raise self.error(
                    "appears twice in the same mapping.",
                    key_node.start_mark,
                    format_key_path((*path, key)),
                )
            self.keys[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, (*path, key))
        return result
