"""The command group: version, help, and the one path errors and exit statuses take."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from backprop_check import __version__
from backprop_check.cli import Status, main
from backprop_check.numeric.finite_differences import DTYPES, KINK_POLICIES, METHODS

from ..helpers import ROOT

SOFTMAX_CCE = ROOT / "configs" / "softmax_cce.yaml"


def test_version_and_help(runner: CliRunner) -> None:
    assert runner.invoke(main, ["--version"]).stdout == f"bpcheck, version {__version__}\n"
    result = runner.invoke(main, ["run", "--help"])
    assert result.exit_code == 0
    for option in (
        "--eps",
        "--rtol",
        "--atol",
        "--seed",
        "--batch-size",
        "--format",
        "--save-arrays",
    ):
        assert option in result.stdout


# --------------------------------------------------------------------------- one error path


def test_a_domain_error_from_any_command_is_one_paragraph_and_exit_2(
    runner: CliRunner, tmp_path
) -> None:
    missing = tmp_path / "absent.yaml"
    for command in (["run"], ["explain"], ["sweep"]):
        result = runner.invoke(main, [*command, str(missing)])
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == f"Error: {missing}: file not found.\n"


def test_the_exit_statuses_are_the_documented_ones() -> None:
    assert [(status.name, int(status)) for status in Status] == [
        ("PASSED", 0),
        ("FAILED", 1),
        ("USAGE", 2),
        ("INTERRUPTED", 130),
    ]


@pytest.mark.parametrize(
    ("option", "table"),
    [
        ("--method", lambda: METHODS),
        ("--dtype", lambda: DTYPES),
        ("--kinks", lambda: KINK_POLICIES),
    ],
)
def test_choices_are_the_librarys_tables(runner: CliRunner, option: str, table) -> None:
    command = next(p for p in main.commands["run"].params if option in p.opts)
    assert list(command.type.choices) == list(table())
    refused = runner.invoke(main, ["run", str(SOFTMAX_CCE), option, "no-such-choice"])
    assert refused.exit_code == 2
    assert all(repr(choice) in refused.stderr for choice in table())


def test_a_new_entry_in_a_library_table_is_offered_at_once(runner: CliRunner, monkeypatch) -> None:
    monkeypatch.setitem(METHODS, "backward-test", METHODS["forward"])
    result = runner.invoke(main, ["run", "--help"])
    assert "backward-test" in result.stdout
