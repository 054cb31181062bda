"""--format and --output mean the same in every command; -q; JUnit times; colour adds nothing."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from backprop_check.cli import main
from backprop_check.report.formats.names import FORMATS

from ..helpers import CONFIGS, ROOT

SOFTMAX = str(ROOT / "configs" / "softmax_cce.yaml")
RELU = str(ROOT / "configs" / "relu_mse.yaml")
TYPO = str(ROOT / "configs" / "my_backprop_typo.py")
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Each command with a report, and what its arguments are.
REPORTS = {"run": ["run", RELU], "sweep": ["sweep", RELU], "selftest": ["selftest"]}


def _choices(command: str) -> list[str]:
    option = next(p for p in main.commands[command].params if p.name == "output_format")
    assert isinstance(option.type, click.Choice)
    return list(option.type.choices)


def test_format_offers_the_same_names_in_every_command() -> None:
    for command in REPORTS:
        assert _choices(command) == list(FORMATS)
    assert _choices("explain") == ["text", "json"]  # explain gives no verdict: no JUnit
    for command in (*REPORTS, "explain"):
        names = {p.name for p in main.commands[command].params}
        assert {"output_format", "output"} <= names, command


def test_table_is_still_understood_as_text(runner: CliRunner) -> None:
    old = runner.invoke(main, ["run", RELU, "--format", "table"])
    assert old.exit_code == 0
    assert old.stdout == runner.invoke(main, ["run", RELU]).stdout


def _check_document(output_format: str, text: str) -> None:
    """The file is a whole document of its format."""
    if output_format == "json":
        assert isinstance(json.loads(text), dict)
    elif output_format == "junit":
        assert ET.fromstring(text.split("\n", 1)[1]).tag == "testsuites"
    elif output_format == "markdown":
        assert text.startswith("## bpcheck")
    elif output_format == "html":
        assert text.startswith("<!DOCTYPE html>")
        assert text.rstrip().endswith("</html>")
    else:
        assert text.startswith("bpcheck")
        assert ANSI.search(text) is None


@pytest.mark.parametrize("output_format", list(FORMATS))
@pytest.mark.parametrize("command", list(REPORTS))
def test_output_writes_every_format_of_every_command(
    runner: CliRunner, tmp_path: Path, command: str, output_format: str
) -> None:
    target = tmp_path / f"report.{output_format}"
    args = [*REPORTS[command], "--format", output_format, "--output", str(target)]
    # FORCE_COLOR makes the terminal coloured; the file never is.
    result = runner.invoke(main, args, env={"FORCE_COLOR": "1"})
    assert result.exit_code == 0, result.output
    _check_document(output_format, target.read_text(encoding="utf-8"))
    # The terminal still shows the text report.
    assert ANSI.sub("", result.stdout).startswith("bpcheck")


@pytest.mark.parametrize("command", list(REPORTS))
def test_without_output_the_format_goes_to_stdout(runner: CliRunner, command: str) -> None:
    for output_format in FORMATS:
        result = runner.invoke(main, [*REPORTS[command], "--format", output_format])
        assert result.exit_code == 0, (output_format, result.output)
        _check_document(output_format, result.stdout)


def test_a_text_file_is_the_report_without_colour(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    args = ["run", SOFTMAX, "--impl", TYPO, "--format", "text", "--output", str(target)]
    coloured = runner.invoke(main, args, env={"FORCE_COLOR": "1", "COLUMNS": "160"})
    assert coloured.exit_code == 1
    assert ANSI.search(coloured.stdout) is not None
    assert target.read_text(encoding="utf-8") == ANSI.sub("", coloured.stdout)


def test_quiet_prints_one_line_per_config_and_the_totals_last(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", str(ROOT / "configs"), "-q"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(CONFIGS) + 1
    assert lines[-1] == f"{len(CONFIGS)} of {len(CONFIGS)} configs passed."
    one = runner.invoke(main, ["run", SOFTMAX, "--impl", TYPO, "--quiet"])
    assert one.exit_code == 1
    assert one.stdout.splitlines() == [
        f"✗ FAILED   {SOFTMAX}: 6 of 9 checks fail, φ² (Eq. 2, layer 2) first",
        "0 of 1 config passed, 1 failed.",
    ]


def test_junit_carries_the_measured_times(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", SOFTMAX, RELU, "--format", "junit"])
    root = ET.fromstring(result.stdout.split("\n", 1)[1])
    suites = root.findall("testsuite")
    assert len(suites) == 2
    for suite in suites:
        cases = [float(case.get("time", "nan")) for case in suite.findall("testcase")]
        assert all(seconds > 0 for seconds in cases)
        # A config's time covers its rows and its loading.
        assert float(suite.get("time", "nan")) >= sum(cases)
    assert float(root.get("time", "nan")) == pytest.approx(
        sum(float(suite.get("time", "nan")) for suite in suites), abs=1e-5
    )


@pytest.mark.parametrize(
    "args",
    [
        ["run", SOFTMAX, "--impl", TYPO, "--heatmap"],
        ["sweep", RELU],
        ["run", str(ROOT / "configs")],
    ],
)
def test_no_colour_says_everything_colour_says(runner: CliRunner, args: list[str]) -> None:
    coloured = runner.invoke(main, args, env={"FORCE_COLOR": "1", "COLUMNS": "100"})
    plain = runner.invoke(main, args, env={"NO_COLOR": "1", "COLUMNS": "100"})
    assert ANSI.search(coloured.stdout) is not None
    assert ANSI.search(plain.stdout) is None
    assert ANSI.sub("", coloured.stdout) == plain.stdout
