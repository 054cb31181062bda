"""No output of a run writes over an input of it, however named; writes are all or nothing."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop_check.cli import main
from backprop_check.report import saving

from ..helpers import ROOT

IMPL = ROOT / "configs" / "my_backprop_example.py"


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """A config with a data file and an --impl file, copied where a bug could do no harm."""
    (tmp_path / "data").mkdir()
    shutil.copy(ROOT / "configs" / "iris_softmax_cce.yaml", tmp_path / "iris.yaml")
    shutil.copy(ROOT / "configs" / "data" / "iris.csv", tmp_path / "data" / "iris.csv")
    shutil.copy(IMPL, tmp_path / "mine.py")
    return {
        "config": tmp_path / "iris.yaml",
        "data": tmp_path / "data" / "iris.csv",
        "impl": tmp_path / "mine.py",
    }


def _contents(inputs: dict[str, Path]) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in inputs.items()}


def _alias(path: Path, how: str) -> Path:
    """``path`` itself, or another name for it."""
    if how == "symlink":
        alias = path.parent / f"alias-{path.name}"
        alias.symlink_to(path)
        return alias
    return path


@pytest.mark.parametrize("how", ["same path", "symlink"])
@pytest.mark.parametrize("victim", ["config", "data", "impl"])
@pytest.mark.parametrize("option", ["--output", "--save-arrays"])
def test_run_never_writes_over_an_input(
    runner: CliRunner, inputs: dict[str, Path], option: str, victim: str, how: str
) -> None:
    before = _contents(inputs)
    target = _alias(inputs[victim], how)
    args = ["run", str(inputs["config"]), "--impl", str(inputs["impl"]), "--format", "json"]
    result = runner.invoke(main, [*args, option, str(target)])
    assert result.exit_code == 2, result.output
    assert f"Error: {target}: refusing to write over an input file; choose another path.\n" in (
        result.stderr
    )
    assert _contents(inputs) == before


@pytest.mark.parametrize("victim", ["config", "data"])
def test_sweep_plot_never_writes_over_an_input(
    runner: CliRunner, inputs: dict[str, Path], victim: str
) -> None:
    pytest.importorskip("matplotlib")
    before = _contents(inputs)
    target = _alias(inputs[victim], "symlink")
    result = runner.invoke(main, ["sweep", str(inputs["config"]), "--plot", str(target)])
    assert result.exit_code == 2, result.output
    assert "refusing to write over an input file" in result.stderr
    assert _contents(inputs) == before


def test_output_over_another_config_of_the_run_is_refused(
    runner: CliRunner, inputs: dict[str, Path]
) -> None:
    other = inputs["config"].with_name("other.yaml")
    shutil.copy(ROOT / "configs" / "softmax_cce.yaml", other)
    before = other.read_bytes()
    result = runner.invoke(
        main, ["run", str(inputs["config"]), str(other), "--format", "json", "--output", str(other)]
    )
    assert result.exit_code == 2
    assert other.read_bytes() == before


@pytest.mark.parametrize("how", ["same path", "symlink"])
def test_the_step_summary_is_never_appended_to_an_input(
    runner: CliRunner, inputs: dict[str, Path], monkeypatch, how: str
) -> None:
    before = _contents(inputs)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(_alias(inputs["config"], how)))
    result = runner.invoke(main, ["run", str(inputs["config"])])
    assert result.exit_code == 0
    assert "refusing to write over an input file" in result.stderr
    assert _contents(inputs) == before


def test_init_does_not_follow_a_dangling_symlink(runner: CliRunner, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "planted.yaml"
    elsewhere.parent.mkdir()
    link = tmp_path / "bpcheck.yaml"
    link.symlink_to(elsewhere)
    refused = runner.invoke(main, ["init", str(link)])
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"Error: {link}: already exists; not overwritten. Use --force to replace it.\n"
    )
    assert not elsewhere.exists()
    forced = runner.invoke(main, ["init", str(link), "--force"])
    assert forced.exit_code == 0
    assert not link.is_symlink()
    assert link.read_text().splitlines()[1].startswith("# A bpcheck config")
    assert not elsewhere.exists()


def test_a_report_whose_write_fails_leaves_the_previous_one(
    runner: CliRunner, tmp_path: Path, monkeypatch
) -> None:
    report = tmp_path / "report.json"
    report.write_text('{"the": "previous report"}\n')

    def disk_full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(saving.os, "fsync", disk_full)
    config = ROOT / "configs" / "softmax_cce.yaml"
    result = runner.invoke(main, ["run", str(config), "--format", "json", "--output", str(report)])
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"Error: {report}: cannot write the report (No space left on device).\n"
    )
    assert report.read_text() == '{"the": "previous report"}\n'
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.json"]
