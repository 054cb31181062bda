"""Heatmaps in the terminal: intensity glyphs that carry the meaning without colour."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from backprop_check import check
from backprop_check.report.formats.heat import LEVELS, NOT_JUDGED, heatmap_lines
from backprop_check.report.formats.layout import lines_text
from backprop_check.report.presenter.heatmap import show_heatmaps
from backprop_check.report.presenter.lines import STYLES

from ...helpers import broken_sigmoid, small_config


@pytest.fixture
def failing(monkeypatch):
    broken_sigmoid(monkeypatch)
    return check(small_config())


def test_each_level_has_its_own_glyph_and_style() -> None:
    glyphs = [level.glyph for level in (*LEVELS, NOT_JUDGED)]
    assert len(set(glyphs)) == len(glyphs)
    assert all(level.role in STYLES for level in (*LEVELS, NOT_JUDGED))


def test_the_grid_draws_a_failing_tensor_with_a_numbered_legend(failing, monkeypatch) -> None:
    text = lines_text(heatmap_lines(failing, width=80))
    assert "φ² relative error per element (rows: samples, columns: units)" in text
    for entry in ("░░ ≤ 1e-05 (rtol)", "▒▒ ≤ 1e-04", "▓▓ ≤ 1e-02", "██ > 1e-02", "·· not judged"):
        assert entry in text
    errors = next(c for c in failing.checks if (c.layer, c.quantity) == (2, "phi")).element_errors
    grid_rows = [line for line in text.splitlines() if line.startswith("   ")]
    # φ² is 5 samples × 5 units, every element wrong by far more than 1 %: five rows of █.
    assert "   0 " + "██" * errors.shape[1] in grid_rows
    assert all(len(line) <= 80 for line in text.splitlines())


def test_the_causes_grid_comes_first_then_the_layers_below(failing) -> None:
    text = lines_text(heatmap_lines(failing, width=80))
    titles = [
        line.split(" relative error")[0] for line in text.splitlines() if "per element" in line
    ]
    # σ' is broken: φ² is the cause, the rows of layers 2 and 1 follow from it.
    assert titles == ["φ²", "∇W²", "∇b²", "φ¹", "∇W¹", "∇b¹"]


def test_no_colour_keeps_every_glyph(failing) -> None:
    coloured, plain = io.StringIO(), io.StringIO()
    show_heatmaps(
        Console(file=coloured, force_terminal=True, color_system="truecolor", width=80), failing
    )
    show_heatmaps(Console(file=plain, no_color=True, width=80), failing)
    assert "\x1b[" in coloured.getvalue()
    stripped = _strip_ansi(coloured.getvalue())
    assert stripped == plain.getvalue()


def test_a_wide_tensor_is_pooled_to_the_terminal_and_keeps_its_worst() -> None:
    from backprop_check.report.formats.heat import pooled

    errors = np.zeros((256, 784))
    errors[100, 500] = 1.0
    grid = pooled(errors, 32, 37)
    assert grid.values.shape == (32, 37)
    assert grid.values.max() == 1.0
    assert np.count_nonzero(grid.values) == 1
    assert grid.values[grid.block_of((100, 500))] == 1.0


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)
