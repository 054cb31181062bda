"""Write the key reference of docs/config.md from the config's JSON Schema (`bpcheck schema`).

    python scripts/gen_config_reference.py            # (re)write the reference in docs/config.md
    python scripts/gen_config_reference.py --check    # exit 1 if it is out of date
    python scripts/gen_config_reference.py --stdout   # print the reference instead

Only the text between the BEGIN GENERATED and END GENERATED markers of docs/config.md is
replaced; the prose around it is written by hand. `mkdocs build` runs this too (through
scripts/mkdocs_hooks.py), and a test checks that the committed page is current. The schema is
generated from the loader's key tables, so the reference cannot drift from what the loader accepts.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "config.md"
BEGIN = "<!-- BEGIN GENERATED: config keys from the JSON Schema. Do not edit by hand. -->"
END = "<!-- END GENERATED -->"
# A pointer into the derivation, as the package writes it, becomes a link on the site.
_LINK = re.compile(r"docs/derivation\.md#([\w-]+)")


def _schema() -> dict[str, Any]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # works from a checkout that is not installed
    from backprop_check.spec.json_schema import config_schema

    return config_schema()


def _sections(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any], str]]:
    """Every mapping of keys in the schema: its path as the reference names it, its schema, and
    how it is nested (a list's item, a named entry)."""
    yield path, schema, ""
    for name, value in schema["properties"].items():
        inner = f"{path}.{name}" if path else name
        if value.get("type") == "object" and "properties" in value:
            yield from _sections(value, inner)
        elif value.get("type") == "array" and "properties" in value.get("items", {}):
            for found, section, _ in _sections(value["items"], f"{inner}[]"):
                yield found, section, "each item of the list" if found == f"{inner}[]" else ""
        elif isinstance(value.get("additionalProperties"), dict):
            for found, section, _ in _sections(value["additionalProperties"], f"{inner}.NAME"):
                own = found == f"{inner}.NAME"
                yield found, section, "each entry, under a name of your own" if own else ""


def _code(values: list[Any]) -> str:
    return ", ".join(f"`{_literal(value)}`" for value in values)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _bounds(schema: dict[str, Any]) -> str:
    low = (
        f"≥ {schema['minimum']:,}"
        if "minimum" in schema
        else f"> {schema['exclusiveMinimum']:,}"
        if "exclusiveMinimum" in schema
        else ""
    )
    high = (
        f"≤ {schema['maximum']:,}"
        if "maximum" in schema
        else f"< {schema['exclusiveMaximum']:,}"
        if "exclusiveMaximum" in schema
        else ""
    )
    return " and ".join(part for part in (low, high) if part)


def _kind(schema: dict[str, Any]) -> str:
    """What a value may be, in words, from its schema."""
    if "enum" in schema:
        return "one of " + _code(schema["enum"])
    if "anyOf" in schema:
        options = schema["anyOf"]
        if "enum" in options[0] and options[1].get("type") == "string":
            return _code(options[0]["enum"]) + " or a name of your own"
        if options[0].get("type") == "number" and options[1].get("type") == "string":
            return f"number {_bounds(options[0])} (`1e-6` style text too)"
        return " or ".join(_kind(option) for option in options)
    kind = schema.get("type")
    if kind == "integer":
        return f"whole number {_bounds(schema)}".rstrip()
    if kind == "number":
        return "number"
    if kind == "string":
        return "text"
    if kind == "boolean":
        return "`true` or `false`"
    if kind == "array":
        items = schema.get("items", {})
        listed = "mappings" if items.get("type") == "object" else _kind(items)
        return f"non-empty list of {listed}"
    if kind == "object":
        return "mapping"
    return "any"


def _table(section: dict[str, Any]) -> list[str]:
    required = set(section.get("required", ()))
    rows = ["| key | value | default | |", "|---|---|---|---|"]
    for name, value in section["properties"].items():
        default = "required" if name in required else ""
        if "default" in value:
            default = f"`{_literal(value['default'])}`"
        description = value.get("description", "").replace("|", r"\|")
        description = _LINK.sub(r"[\1](derivation.md#\1)", description)
        rows.append(f"| `{name}` | {_kind(value)} | {default} | {description} |")
    return rows


def render() -> str:
    """The key reference: one table per mapping of keys, top level first."""
    lines: list[str] = [
        "Generated from the config's JSON Schema: `bpcheck schema` prints it, and `bpcheck init`",
        "names it in the config's first line so that editors complete and check the keys.",
        "",
    ]
    for path, section, nesting in _sections(_schema()):
        heading = f"`{path}`" if path else "Top level"
        # Ids of their own: the prose above already has #data, #check, #layers.
        anchor = "key-" + (re.sub(r"[^a-z]+", "-", path.lower()).strip("-") or "top-level")
        lines += [f"### {heading} {{#{anchor}}}", ""]
        if nesting:
            lines += [f"The keys of {nesting}.", ""]
        if "not" in section:
            exclusive = section["not"]["required"]
            lines += [f"At most one of {_code(exclusive)}.", ""]
        lines += [*_table(section), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def page(current: str) -> str:
    """``current`` (docs/config.md) with the text between the markers replaced."""
    if BEGIN not in current or END not in current:
        raise SystemExit(f"{TARGET}: the markers {BEGIN!r} and {END!r} are missing")
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n\n{render()}\n{END}{tail}"


def write(target: Path = TARGET) -> bool:
    """Rewrite the reference in ``target`` if it changed; True when it did."""
    current = target.read_text(encoding="utf-8")
    text = page(current)
    if text == current:
        return False
    target.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    mode.add_argument("--stdout", action="store_true", help="print the reference instead")
    parser.add_argument("--output", type=Path, default=TARGET, help=f"default: {TARGET}")
    options = parser.parse_args(argv)
    if options.stdout:
        sys.stdout.write(render())
        return 0
    if options.check:
        current = options.output.read_text(encoding="utf-8")
        if page(current) != current:
            print(f"{options.output} is out of date: run python scripts/gen_config_reference.py")
            return 1
        return 0
    changed = write(options.output)
    print(f"{options.output}: {'written' if changed else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
