"""The command group: version, help, and the one path errors and exit statuses take."""

from __future__ import annotations

from click.testing import CliRunner

from backprop_check import __version__
from backprop_check.cli import main

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
