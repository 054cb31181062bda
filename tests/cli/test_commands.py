"""`bpcheck explain`, `sweep` and `init` through CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from backprop_check.cli import main

from ..helpers import ROOT, broken_sigmoid, small_config, write

SOFTMAX_CCE = ROOT / "configs" / "softmax_cce.yaml"


def _config_file(tmp_path: Path, **changes) -> Path:
    return write(tmp_path, yaml.safe_dump(small_config(**changes)))


def test_explain_prints_the_equations(runner: CliRunner) -> None:
    result = runner.invoke(main, ["explain", str(SOFTMAX_CCE)])
    assert result.exit_code == 0
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines[0] == f"bpcheck explain · {SOFTMAX_CCE} · loss categorical_crossentropy"
    assert any(
        line.startswith("φ³  = a³ Σ_j y_j − y  (= a³ − y for one-hot y)")
        and "(softmax + categorical cross-entropy, Eq. 1, docs/derivation.md#softmax-cce)" in line
        for line in lines
    )
    assert any(
        line.startswith("φ²  = (W³)ᵀ φ³ ∘ σ'(z²)") and "docs/derivation.md#sigmoid-hidden" in line
        for line in lines
    )
    document = json.loads(
        runner.invoke(main, ["explain", str(SOFTMAX_CCE), "--format", "json"]).stdout
    )
    assert [layer["layer"] for layer in document["layers"]] == [3, 2, 1]


def test_sweep_shows_the_v_and_recommends_an_eps(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["sweep", str(SOFTMAX_CCE)])
    assert result.exit_code == 0, result.output
    assert "max relative error against eps" in result.stdout
    assert "Recommended eps: 1e-05, the bottom of the V." in result.stdout
    document = json.loads(
        runner.invoke(main, ["sweep", str(SOFTMAX_CCE), "--format", "json"]).stdout
    )
    assert document["recommended_eps"] == 1e-5
    assert len(document["steps"]) == 12


def test_sweep_tells_a_bug_from_a_numerical_problem(runner: CliRunner, monkeypatch) -> None:
    broken_sigmoid(monkeypatch)
    result = runner.invoke(main, ["sweep", str(SOFTMAX_CCE)])
    assert result.exit_code == 1
    assert "never agree at any eps: real bugs, not a numerical problem." in result.stdout


def test_sweep_plot_writes_a_png_and_never_over_an_input(runner: CliRunner, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    figure = tmp_path / "v.png"
    assert runner.invoke(main, ["sweep", str(SOFTMAX_CCE), "--plot", str(figure)]).exit_code == 0
    assert figure.read_bytes().startswith(b"\x89PNG")
    config = _config_file(tmp_path)
    before = config.read_bytes()
    result = runner.invoke(main, ["sweep", str(config), "--plot", str(config)])
    assert result.exit_code == 2
    assert "refusing to write over an input file" in result.stderr
    assert config.read_bytes() == before


def test_init_writes_a_starter_that_passes(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "net.yaml"
    result = runner.invoke(main, ["init", str(target)])
    assert result.exit_code == 0
    assert result.stdout == f"wrote {target}; check it with: bpcheck run {target}\n"
    assert target.read_text().splitlines()[1].startswith("# A bpcheck config")
    assert runner.invoke(main, ["run", str(target)]).exit_code == 0
    target.write_text("mine")
    again = runner.invoke(main, ["init", str(target)])
    assert again.exit_code == 2
    assert (
        again.stderr
        == f"Error: {target}: already exists; not overwritten. Use --force to replace it.\n"
    )
    assert target.read_text() == "mine"
    assert runner.invoke(main, ["init", str(target), "--force"]).exit_code == 0
    assert target.read_text().splitlines()[1].startswith("# A bpcheck config")


def test_init_default_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    assert (tmp_path / "bpcheck.yaml").exists()


def test_schema_prints_the_configs_json_schema(runner: CliRunner) -> None:
    import json

    from backprop_check.spec.json_schema import config_schema

    result = runner.invoke(main, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == config_schema()


def test_init_names_the_schema_and_writes_it_once(runner: CliRunner, tmp_path: Path) -> None:
    from backprop_check.spec.json_schema import SCHEMA_FILE, schema_text

    target = tmp_path / "net.yaml"
    assert runner.invoke(main, ["init", str(target)]).exit_code == 0
    assert target.read_text().splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_FILE}"
    schema = tmp_path / SCHEMA_FILE
    assert schema.read_text() == schema_text()
    schema.write_text("{}")  # the user's own: kept, and said
    again = runner.invoke(main, ["init", str(tmp_path / "other.yaml")])
    assert again.exit_code == 0
    assert schema.read_text() == "{}"
    assert "left as it is" in again.stderr


def test_plot_without_matplotlib_is_refused_before_the_sweep_runs(
    runner: CliRunner, tmp_path: Path, monkeypatch
) -> None:
    import sys

    from backprop_check.judge import sweep as sweep_module

    swept = []
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setattr(sweep_module, "sweep", lambda *args, **kwargs: swept.append(1))
    result = runner.invoke(main, ["sweep", str(SOFTMAX_CCE), "--plot", str(tmp_path / "v.png")])
    assert result.exit_code == 2
    assert "--plot needs matplotlib: pip install 'backprop_check[plot]'" in result.stderr
    assert swept == []


@pytest.mark.parametrize("command", ["sweep", "watch"])
def test_sweep_and_watch_take_the_checking_options_of_run(
    runner: CliRunner, command: str, monkeypatch
) -> None:
    from backprop_check import watching

    run_options = {p.name for p in main.commands["run"].params}
    options = {p.name for p in main.commands[command].params}
    assert {"sample", "directions", "jobs", "max_memory"} <= options & run_options
    real = watching.watch_files
    monkeypatch.setattr(
        watching,
        "watch_files",
        lambda paths, on_change, *, interval: real(paths, on_change, interval=interval, runs=1),
    )
    # They reach the check: both at once is refused as the config's own keys would be.
    both = runner.invoke(main, [command, str(SOFTMAX_CCE), "--sample", "2", "--directions", "2"])
    assert "choose either --sample or --directions, not both" in both.stderr
    sampled = runner.invoke(main, [command, str(SOFTMAX_CCE), "--sample", "2", "--jobs", "1"])
    assert sampled.exit_code == 0, sampled.output
    if command == "watch":
        assert "2 sampled elements per tensor" in sampled.stdout


def test_sweep_with_a_sample_checks_fewer_elements(runner: CliRunner, monkeypatch) -> None:
    from backprop_check.judge import checker as checker_module

    modes = []
    real = checker_module.Checker.run

    def spy(self, **kwargs):
        modes.append((self.config.check.mode, self.config.check.sample, self.jobs))
        return real(self, **kwargs)

    monkeypatch.setattr(checker_module.Checker, "run", spy)
    result = runner.invoke(main, ["sweep", str(SOFTMAX_CCE), "--sample", "3", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert set(modes) == {("sample", 3, 1)}


def test_watch_interval_has_help() -> None:
    option = next(p for p in main.commands["watch"].params if p.name == "interval")
    assert isinstance(option, click.Option)
    assert option.help
    assert "save" in option.help
