"""scripts/screenshot.py: the docs' picture of a failing run is the real terminal at 80 columns."""

from __future__ import annotations

import html
import importlib.util
import re
from collections import defaultdict

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from backprop_check.cli import main

from .helpers import ROOT

_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
    r'clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)<'
)


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("screenshot", ROOT / "scripts" / "screenshot.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lines(svg: str) -> list[str]:
    """The terminal's lines as the SVG draws them: rich splits a line into one text per style and
    leaves out blank runs, so each text goes to its column (x over the width of one cell)."""
    found = [match for match in _TEXT.findall(svg) if cell_len(_plain(match[3]))]
    cell = min(float(length) / cell_len(_plain(text)) for _, length, _, text in found)
    drawn: dict[int, str] = defaultdict(str)
    for x, _, line, text in found:
        column = round(float(x) / cell)
        drawn[int(line)] = drawn[int(line)].ljust(column) + _plain(text)
    return [drawn.get(i, "").rstrip() for i in range(max(drawn) + 1)]


def _plain(text: str) -> str:
    return html.unescape(text).replace("\xa0", " ")


def test_the_svg_is_the_failing_run_at_80_columns(script, monkeypatch) -> None:
    svg = script.failing_run_svg()
    monkeypatch.chdir(ROOT)
    plain = CliRunner().invoke(main, script.COMMAND, env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert plain.exit_code == 1
    lines = _lines(svg)
    assert lines[0] == "$ bpcheck " + " ".join(script.COMMAND)
    assert lines[1:] == plain.stdout.rstrip("\n").splitlines()


def test_the_docs_show_the_committed_picture(script) -> None:
    committed = script.SVG.read_text(encoding="utf-8")
    lines = _lines(committed)
    assert lines[0] == "$ bpcheck " + " ".join(script.COMMAND)
    assert any(line.startswith("Cause: φ², Eq. 2 at layer 2") for line in lines)
    assert max(cell_len(line) for line in lines) <= script.COLUMNS
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    assert "](assets/failing-run.svg)" in index
