"""watch: re-run on every save, keep going through errors."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from backprop_check import watching
from backprop_check.cli import main
from backprop_check.watching import watch_files

from .helpers import impl_project, small_config


class _Saves:
    """A sleep that saves the next version of a file each time it is called."""

    def __init__(self, path: Path, versions: list[str]) -> None:
        self.path, self.versions, self.calls = path, versions, 0

    def __call__(self, seconds: float) -> None:
        self.calls += 1
        if self.versions:
            self.path.write_text(self.versions.pop(0))


def test_runs_at_start_and_after_each_save(tmp_path: Path) -> None:
    watched = tmp_path / "a.txt"
    watched.write_text("one")
    seen: list[str] = []
    saves = _Saves(watched, ["two", "three, longer"])
    runs = watch_files([watched], lambda: seen.append(watched.read_text()), runs=3, sleep=saves)
    assert runs == 3
    assert seen == ["one", "two", "three, longer"]


def test_a_file_missing_mid_save_is_waited_for(tmp_path: Path) -> None:
    watched = tmp_path / "a.txt"
    seen: list[str] = []

    def sleep(seconds: float) -> None:
        watched.write_text("written at last")

    watch_files([watched], lambda: seen.append(watched.read_text()), runs=1, sleep=sleep)
    assert seen == ["written at last"]


def test_cli_watch_rechecks_and_survives_a_broken_save(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "net.yaml"
    config.write_text(yaml.safe_dump(small_config()))
    broken = yaml.safe_dump(small_config(loss="hinge"))
    fixed = yaml.safe_dump(small_config(seed=8))
    real = watching.watch_files

    def three_runs(paths, on_change, *, interval):
        return real(
            paths, on_change, interval=interval, runs=3, sleep=_Saves(config, [broken, fixed])
        )

    monkeypatch.setattr(watching, "watch_files", three_runs)
    result = CliRunner().invoke(main, ["watch", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("PASSED: 9 of 9 checks.") == 2
    assert "unknown loss 'hinge'" in result.stderr
    assert result.stdout.count(f"watching {config}: save to re-check, Ctrl-C to stop") == 3


def test_cli_watch_says_it_is_waiting_for_a_missing_file(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "later.yaml"
    real = watching.watch_files
    sleeps = []

    def create_it_on_the_third_poll(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            config.write_text(yaml.safe_dump(small_config()))

    def one_run(paths, on_change, *, interval):
        return real(paths, on_change, interval=interval, runs=1, sleep=create_it_on_the_third_poll)

    monkeypatch.setattr(watching, "watch_files", one_run)
    result = CliRunner().invoke(main, ["watch", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Note: waiting for {config}: it does not exist yet, and is checked as soon as it is "
        "saved (Ctrl-C to stop).\n"
    )
    assert result.stdout.count("PASSED: 9 of 9 checks.") == 1
    assert len(sleeps) == 3


def test_cli_watch_follows_the_file_an_impl_block_names(tmp_path: Path, monkeypatch) -> None:
    config = impl_project(tmp_path, {"file": "network.py"})
    code = tmp_path / "network.py"
    broken = code.read_text().replace("DW_T = False, 1,", "DW_T = False, -1,")
    assert broken != code.read_text()
    real = watching.watch_files
    watched = []

    def two_runs(paths, on_change, *, interval):
        watched.extend(paths)
        return real(paths, on_change, interval=interval, runs=2, sleep=_Saves(code, [broken]))

    monkeypatch.setattr(watching, "watch_files", two_runs)
    result = CliRunner().invoke(main, ["watch", str(config)])
    assert result.exit_code == 0, result.output
    assert watched == [config, code]
    assert result.stdout.count("PASSED: 4 of 4 checked rows; 2 not checked.") == 1
    assert result.stdout.count("FAILED: 4 of 4 checked rows failed; 2 not checked.") == 1
