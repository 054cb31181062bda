"""Every report fits the terminal it is shown in: no line wider, no number cut."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from backprop_check.cli import main

from ..helpers import ROOT

CONFIGS = ROOT / "configs"
SOFTMAX = str(CONFIGS / "softmax_cce.yaml")
EXAMPLE = str(CONFIGS / "my_backprop_example.py")
TYPO = str(CONFIGS / "my_backprop_typo.py")
WIDTHS = [60, 80, 100, 160]

COMMANDS = {
    "run": ["run", SOFTMAX],
    "run --impl": ["run", SOFTMAX, "--impl", EXAMPLE],
    "run --impl, failing": ["run", SOFTMAX, "--impl", TYPO, "--heatmap"],
    "run, several configs": ["run", str(CONFIGS)],
    "sweep": ["sweep", str(CONFIGS / "relu_mse.yaml")],
    "selftest": ["selftest"],
}


@pytest.fixture(scope="module")
def outputs() -> dict[tuple[str, int], str]:
    """Each command's stdout at each width (rendered once: selftest and sweep take a while)."""
    runner = CliRunner()
    found = {}
    for name, args in COMMANDS.items():
        for width in WIDTHS:
            result = runner.invoke(main, args, env={"COLUMNS": str(width)})
            assert result.exit_code in (0, 1), result.output
            found[name, width] = result.stdout
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_no_line_is_wider_than_the_terminal(outputs, name: str, width: int) -> None:
    text = outputs[name, width]
    too_wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert too_wide == []
    assert "…" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_every_rows_numbers_are_shown_whole(outputs, width: int) -> None:
    document = json.loads(
        CliRunner().invoke(main, ["run", SOFTMAX, "--impl", TYPO, "--format", "json"]).stdout
    )
    text = outputs["run --impl, failing", width]
    for layer in document["layers"]:
        for row in layer["checks"]:
            assert f"{row['max_rel_error']:.2e}" in text
            if not row["passed"]:  # a failing row's worst element, in full, in every layout
                assert f"{row['worst_analytic']:+.6e}" in text
                assert f"{row['worst_numeric']:+.6e}" in text


def _header(text: str) -> list[str]:
    return re.split(r" {2,}", next(line for line in text.splitlines() if line.startswith("check")))


def test_wide_terminals_get_every_column_and_narrow_ones_the_compact_layout(outputs) -> None:
    assert _header(outputs["run", 160]) == [
        "check", "eq.", "shape", "max abs err", "max rel err", "‖a−n‖/(‖a‖+‖n‖)",
        "worst element: analytic / numeric", "kinks", "dead", "result",
    ]  # fmt: skip
    # At 80 columns: short headers, and no room for the worst element, which a failing row
    # shows on a line of its own.
    assert _header(outputs["run --impl, failing", 80]) == [
        "check", "eq.", "shape", "abs err", "rel err", "result", "from",
    ]  # fmt: skip
    lines = outputs["run --impl, failing", 80].splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("φ² "))
    assert lines[at + 1].startswith("    worst [")


@pytest.mark.parametrize("impl", [[], ["--impl", EXAMPLE], ["--impl", TYPO]])
def test_at_120_columns_every_number_column_is_on_the_rows_line(impl: list[str]) -> None:
    result = CliRunner().invoke(main, ["run", SOFTMAX, *impl], env={"COLUMNS": "120"})
    header = _header(result.stdout)
    assert {"check", "eq.", "shape", "result"} <= set(header)
    assert {"max abs err", "abs err"} & set(header)
    assert {"‖a−n‖/(‖a‖+‖n‖)", "norm err"} & set(header)
    assert {"worst element: analytic / numeric", "worst: analytic / numeric"} & set(header)
