"""docs/config.md's key reference is generated from the config's JSON Schema, and is current."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from backprop_check.spec import json_schema
from backprop_check.spec.keys import TOP_LEVEL, Key

from .helpers import ROOT

GENERATOR = runpy.run_path(str(ROOT / "scripts" / "gen_config_reference.py"))


def test_the_committed_reference_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert GENERATOR["main"](["--check"]) == 0, capsys.readouterr().out


def test_every_key_of_the_schema_has_a_row_in_its_section() -> None:
    text = GENERATOR["render"]()
    sections = list(GENERATOR["_sections"](json_schema.config_schema()))
    assert len(sections) >= 6
    for path, section, _ in sections:
        heading = f"### `{path}`" if path else "### Top level"
        table = text.split(heading + " {#", 1)[1].split("\n### ", 1)[0]
        for name in section["properties"]:
            assert f"\n| `{name}` |" in table, (path, name)


def test_a_new_key_makes_the_page_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "config.md"
    page.write_text((ROOT / "docs" / "config.md").read_text(encoding="utf-8"), encoding="utf-8")
    assert GENERATOR["main"](["--check", "--output", str(page)]) == 0
    extra = Key("verbose", "flag", "say more")
    monkeypatch.setattr(json_schema, "TOP_LEVEL", (*TOP_LEVEL, extra))
    assert GENERATOR["main"](["--check", "--output", str(page)]) == 1
    assert GENERATOR["main"](["--output", str(page)]) == 0
    assert "| `verbose` | `true` or `false` |  | Say more. |" in page.read_text(encoding="utf-8")
    before = page.read_text(encoding="utf-8").split('<a id="keys"></a>')[0]
    assert "## Activations and losses as formulas" in before  # the prose is kept
