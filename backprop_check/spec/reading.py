"""Reading a config file into plain data, remembering where every value and key starts.

A :class:`Document` is what the validators see (plain dicts, lists and scalars) plus the
positions that :meth:`Document.locate` adds to their errors: file, line and column, once.
Resource guards bound what a hostile or mistaken file can cost before and while it is parsed:
a regular file of at most 1 MiB, printable text, flow nesting counted on the text
(:mod:`.yaml_text`), keys that are plain scalars (never built from aliases), at most 10,000 nodes
however aliases and merges repeat them, at most 32 levels.

PyYAML's C loader (libyaml) is used where it is installed, the pure-Python one otherwise; both
give the same data, positions and messages (tests/spec/test_reading.py runs both).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import (
    BackpropCheckError,
    ConfigError,
    KeyPath,
    NotARegularFileError,
    file_problem,
    format_key_path,
    quote_input,
)
from .files import read_regular
from .schema import describe
from .yaml_text import TextError, check_text

__all__ = ["YAML_LOADERS", "Document", "document_from_mapping", "read_document"]

# Bounds that keep a hostile or mistaken file from taking the machine: configs are a few kB and a
# few dozen nodes, while an alias bomb expands to billions of nodes from a few lines.
MAX_CONFIG_BYTES = 2**20
MAX_YAML_NODES = 10_000
MAX_YAML_DEPTH = 32
# PyYAML's own words for a syntax error may quote the input (a tag, an alias): cut to this.
_MAX_PROBLEM = 160
_MERGE_TAG = "tag:yaml.org,2002:merge"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_DEFAULT_TAGS = {
    yaml.MappingNode: "tag:yaml.org,2002:map",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
}

# What libyaml refuses and the pure-Python loader reads, leaving the verdict to the validators
# (a "\ud800" escape in a formula is refused there, at its key): read such a file with the latter.
_PURE_PYTHON_READS = {"found invalid Unicode character escape code"}

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
        located = ConfigError(
            error.parts,
            source=self.source,
            key_path=error.key_path,
            line=line,
            column=column,
            at_key=error.at_key,
        )
        located.wrong_gradient = error.wrong_gradient
        return located

    @property
    def locations(self) -> dict[str, Position]:
        """Value positions by key path as text (``layers[0].units``)."""
        return {format_key_path(path): position for path, position in self.values.items()}


def document_from_mapping(mapping: Mapping[str, Any]) -> Document:
    """A mapping given in Python: no positions; its text is canonical JSON, for the run's hash."""
    return Document(
        source="<dict>", data=mapping, text=json.dumps(mapping, sort_keys=True, default=str)
    )


def _loader(base: type) -> type:
    """``base`` reading YAML 1.2 floats such as ``1e-6`` too (YAML 1.1 wants ``1.0e-6``)."""
    loader = type(f"Config{base.__name__}", (base,), {})
    loader.add_implicit_resolver(
        _FLOAT_TAG,
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )
    return loader


# The loaders this installation has, fastest first.
YAML_LOADERS: tuple[type, ...] = tuple(
    _loader(base) for base in (getattr(yaml, "CSafeLoader", None), yaml.SafeLoader) if base
)


def read_document(path: Path, *, loader: type | None = None) -> Document:
    """Read and parse the YAML file at ``path``; any problem is a located ConfigError.

    ``loader`` is one of :data:`YAML_LOADERS` (default: the fastest).
    """
    source = str(path)
    text = _read_text(path)
    try:
        check_text(text, max_depth=MAX_YAML_DEPTH)
    except TextError as problem:
        raise ConfigError(
            problem.message, source=source, line=problem.line, column=problem.column
        ) from None
    loader = loader or YAML_LOADERS[0]
    parser = None
    try:
        parser = loader(text)
        node = parser.get_single_node()
        if node is None:
            raise ConfigError("is empty, expected a YAML mapping.", source=source)
        builder = _Builder(parser, source)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as error:
        if error.problem in _PURE_PYTHON_READS and loader is not YAML_LOADERS[-1]:
            return read_document(path, loader=YAML_LOADERS[-1])
        raise _syntax_error(error, text, source) from None
    except yaml.YAMLError as error:
        problem = quote_input(str(error).split("\n")[0], _MAX_PROBLEM)
        raise ConfigError(f"is not valid YAML: {problem}.", source=source) from None
    except RecursionError:
        raise ConfigError(
            "is nested too deeply (or an anchor contains an alias to itself); a config needs a "
            "few levels.",
            source=source,
        ) from None
    finally:
        if parser is not None:
            parser.dispose()
    return Document(source, data, text, builder.values, builder.keys)


def _read_text(path: Path) -> str:
    source = str(path)
    try:
        raw = read_regular(path, limit=MAX_CONFIG_BYTES)
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError("file not found.", source=source) from None
    except IsADirectoryError as error:
        raise ConfigError(f"{file_problem(error)}, expected a YAML file.", source=source) from None
    except NotARegularFileError as error:
        raise ConfigError(f"{file_problem(error)}; expected a YAML file.", source=source) from None
    except OSError as error:
        raise ConfigError(f"{file_problem(error)}.", source=source) from None
    if len(raw) > MAX_CONFIG_BYTES:
        size = path.stat().st_size
        raise ConfigError(
            f"is {size / 2**20:.1f} MiB; a config is a few kB, so bpcheck refuses to read "
            f"more than {MAX_CONFIG_BYTES // 2**20} MiB (is this the right file?).",
            source=source,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text, expected a YAML file.", source=source) from None


def _syntax_error(error: yaml.MarkedYAMLError, text: str, source: str) -> ConfigError:
    mark = error.problem_mark or error.context_mark
    problem = _detailed(error.problem or error.context or "invalid YAML", mark, text)
    problem = quote_input(problem, _MAX_PROBLEM)
    if error.context and error.context_mark and error.problem:
        where = f"line {error.context_mark.line + 1}, column {error.context_mark.column + 1}"
        problem = f"{quote_input(error.context, _MAX_PROBLEM)} ({where}): {problem}"
    return ConfigError(
        f"is not valid YAML: {problem}.",
        source=source,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
    )


def _detailed(problem: str, mark: yaml.Mark | None, text: str) -> str:
    """libyaml leaves out what the pure-Python loader names; name it from the text."""
    if mark is None or not 0 <= mark.index < len(text):
        return problem
    if problem == "found undefined alias":
        name = re.match(r"\*([^\s,\[\]{}]+)", text[mark.index :])
        return f"{problem} '{quote_input(name[1])}'" if name else problem
    if problem == "found character that cannot start any token":
        return f"found character {text[mark.index]!r} that cannot start any token"
    return problem


class _Builder:
    """Builds plain Python data from the node tree, remembering where each value and key starts."""

    def __init__(self, loader: Any, source: str) -> None:
        self.loader = loader
        self.source = source
        self.values: dict[KeyPath, Position] = {}
        self.keys: dict[KeyPath, Position] = {}
        # A mapping's entries after its merges, by the mapping node's id: each is worked out
        # once however often aliases repeat it.
        self.entries: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}

    def error(self, message: str, node: yaml.Node, path: KeyPath | None = None) -> ConfigError:
        mark = node.start_mark
        return ConfigError(
            message,
            source=self.source,
            key=None if path is None else format_key_path(path) or None,
            line=mark.line + 1,
            column=mark.column + 1,
        )

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.check_bounds(node, path)
        self.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        default_tag = _DEFAULT_TAGS.get(type(node))
        if default_tag is not None and node.tag != default_tag:
            raise self.error(
                f"is not valid YAML here: the tag '{quote_input(node.tag)}' is not allowed; a "
                "config holds plain mappings, lists and scalars.",
                node,
                path,
            )
        if isinstance(node, yaml.MappingNode):
            return {
                key: self.built_entry(key_node, value_node, (*path, key))
                for key, (key_node, value_node) in self.mapping_entries(node, path).items()
            }
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self.scalar(node, path)

    def built_entry(self, key_node: yaml.Node, value_node: yaml.Node, path: KeyPath) -> Any:
        self.keys[path] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return self.build(value_node, path)

    def check_bounds(self, node: yaml.Node, path: KeyPath) -> None:
        if len(self.values) >= MAX_YAML_NODES:
            raise self.error(
                f"expands to more than {MAX_YAML_NODES:,} YAML nodes (anchors and aliases "
                "repeated inside each other?); a config needs a few dozen.",
                node,
                path,
            )
        if len(path) > MAX_YAML_DEPTH:
            raise ConfigError(
                f"is nested more than {MAX_YAML_DEPTH} levels deep (or an anchor contains an "
                "alias to itself); a config needs a few.",
                source=self.source,
                key=format_key_path(path[:4]) + "…",
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            )

    def scalar(self, node: yaml.Node, path: KeyPath) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except ValueError:
            # Python refuses to turn more than 4,300 digits into an int.
            raise self.error(
                f"holds a number of {len(str(node.value))} digits, far beyond any sensible value.",
                node,
                path,
            ) from None
        if isinstance(value, float) and math.isinf(value) and "inf" not in node.value.lower():
            raise self.error(
                f"holds the number {quote_input(node.value)}, beyond the largest float (about "
                "1.8e308); no size, step or tolerance needs it.",
                node,
                path,
            )
        return value

    def mapping_entries(
        self, node: yaml.MappingNode, path: KeyPath
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The mapping's entries by key: merged ones (``<<``) first, its own overriding them;
        a key written twice in the mapping itself is refused."""
        if id(node) in self.entries:
            return self.entries[id(node)]
        self.entries[id(node)] = {}  # while this one is worked out: a merge of itself adds nothing
        own: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                for source in self.merge_sources(key_node, value_node, path):
                    for key, entry in self.mapping_entries(source, path).items():
                        merged.setdefault(key, entry)  # earlier sources win, as YAML says
                continue
            key = self.key(key_node, path)
            if key in own:
                raise self.error("appears twice in the same mapping.", key_node, (*path, key))
            own[key] = (key_node, value_node)
        self.entries[id(node)] = entries = {**merged, **own}
        return entries

    def merge_sources(
        self, key: yaml.Node, node: yaml.Node, path: KeyPath
    ) -> list[yaml.MappingNode]:
        """The mappings a ``<<`` key merges; anything else is refused at the ``<<``."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if not all(isinstance(source, yaml.MappingNode) for source in sources):
            raise self.error(
                "a merge (<<) takes a mapping or a list of mappings, such as <<: *base.", key, path
            )
        return sources

    def key(self, node: yaml.Node, path: KeyPath) -> str:
        """A key is a name. A list or mapping is refused unbuilt: built, an alias inside it
        could expand without bound, and no guard above counts it."""
        if not isinstance(node, yaml.ScalarNode):
            kind = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
            raise self.error(f"keys must be names, found {kind}.", node, path or None)
        key = self.scalar(node, path)
        if not isinstance(key, str):
            raise self.error(f"keys must be names, found {describe(key)}.", node, path or None)
        return key
