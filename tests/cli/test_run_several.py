"""Several configs in one run: folders, exit codes, JSON, JUnit, Markdown, --fail-fast, Ctrl-C."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from backprop_check.cli import main

from ..helpers import CONFIGS, ROOT, broken_sigmoid, small_config

TANH_NET = small_config(
    layers=[{"units": 4, "activation": "tanh"}, {"units": 3, "activation": "softmax"}]
)


def _folder(tmp_path: Path, **configs: dict) -> Path:
    folder = tmp_path / "configs"
    folder.mkdir()
    for name, config in configs.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(config))
    return folder


def test_a_folder_of_passing_configs(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(ROOT / "configs")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # After the tables, one line per config, and the totals last.
    assert lines[-1] == f"{len(CONFIGS)} of {len(CONFIGS)} configs passed."
    summary = lines[-1 - len(CONFIGS) : -1]
    assert [line.split()[-3] for line in summary] == [str(path) for path in CONFIGS]
    assert all(line.startswith("✓ passed ") for line in summary)


def test_one_broken_derivative_exits_1_and_the_rest_still_run(tmp_path: Path, monkeypatch) -> None:
    folder = _folder(tmp_path, a_tanh=TANH_NET, b_sigmoid=small_config())
    broken_sigmoid(monkeypatch)
    result = CliRunner().invoke(main, ["run", str(folder)])
    assert result.exit_code == 1
    *_, passed, failed, totals = result.stdout.splitlines()
    assert totals == "1 of 2 configs passed, 1 failed."
    assert passed.split() == ["✓", "passed", str(folder / "a_tanh.yaml"), "(6", "checks)"]
    assert failed == (
        f"✗ FAILED   {folder / 'b_sigmoid.yaml'}: 6 of 9 checks fail, φ² (Eq. 2, layer 2) first"
    )


def test_an_invalid_config_exits_2_and_the_valid_ones_still_run(tmp_path: Path) -> None:
    folder = _folder(tmp_path, good=small_config(), bad=small_config(loss="hinge"))
    result = CliRunner().invoke(main, ["run", str(folder), "--format", "json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["passed"] is False
    bad, good = document["runs"]
    assert bad == {"passed": False, "config": str(folder / "bad.yaml"), "error": bad["error"]}
    assert "unknown loss 'hinge'" in bad["error"]
    assert good["passed"] is True
    assert good["layers"][0]["checks"][0]["quantity"] == "phi"
    assert "unknown loss 'hinge'" in result.stderr


def test_fail_fast_stops_at_the_first_failure(tmp_path: Path, monkeypatch) -> None:
    folder = _folder(tmp_path, a=small_config(), b=TANH_NET)
    broken_sigmoid(monkeypatch)
    result = CliRunner().invoke(main, ["run", str(folder), "--fail-fast", "--format", "json"])
    assert result.exit_code == 1
    assert len(json.loads(result.stdout)["runs"]) == 1


def test_junit_names_the_failing_layer_and_equation(tmp_path: Path, monkeypatch) -> None:
    from junitparser import JUnitXml

    folder = _folder(
        tmp_path, a_tanh=TANH_NET, b_sigmoid=small_config(), c_bad=small_config(loss="x")
    )
    broken_sigmoid(monkeypatch)
    report = tmp_path / "report.xml"
    result = CliRunner().invoke(
        main, ["run", str(folder), "--format", "junit", "--output", str(report)]
    )
    assert result.exit_code == 2  # one invalid config outranks one failing config
    assert "1 of 3 configs passed" in result.stdout  # the terminal still shows the tables
    xml = JUnitXml.fromfile(str(report))
    suites = {suite.name: suite for suite in xml}
    assert suites[str(folder / "a_tanh.yaml")].failures == 0
    failing = suites[str(folder / "b_sigmoid.yaml")]
    failed = {case.name: case for case in failing if case.result}
    assert "layer 2 · φ² (Eq. 2)" in failed
    assert "layer 3 · φ³ (Eq. 1)" not in failed
    body = failed["layer 2 · φ² (Eq. 2)"].result[0].text
    assert "φ³ passes but φ² fails: the error is in Eq. 2 between layers 3 and 2" in body
    assert suites[str(folder / "c_bad.yaml")].errors == 1


def test_junit_and_markdown_on_stdout(tmp_path: Path) -> None:
    runner = CliRunner()
    junit = runner.invoke(main, ["run", str(CONFIGS[0]), "--format", "junit"])
    assert junit.exit_code == 0
    assert junit.stdout.startswith('<?xml version="1.0" encoding="utf-8"?>')
    markdown = runner.invoke(main, ["run", str(ROOT / "configs"), "--format", "markdown"])
    assert markdown.stdout.startswith(
        f"## bpcheck: {len(CONFIGS)} of {len(CONFIGS)} configs passed"
    )
    assert "Layer 1 of" not in markdown.stdout  # no tables mixed into a machine-readable report


def test_github_step_summary_gets_the_markdown(tmp_path: Path, monkeypatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert CliRunner().invoke(main, ["run", str(CONFIGS[0])]).exit_code == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n## bpcheck: 1 of 1 config passed")


@pytest.mark.parametrize("symbolic", [True, False], ids=["derived", "finite-differences"])
def test_a_folder_with_one_broken_formula_exits_1_and_junit_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, symbolic: bool
) -> None:
    from junitparser import JUnitXml

    from backprop_check.spec.formulas import derivatives

    if not symbolic:  # without sympy, the finite differences catch it at φ¹
        monkeypatch.setattr(derivatives, "symbolic_engine", lambda: None)
    broken = small_config(
        activations={"swish": {"f": "x * sigmoid(x)", "df": "sigmoid(x)"}},
        layers=[{"units": 5, "activation": "swish"}, {"units": 3, "activation": "softmax"}],
    )
    folder = _folder(tmp_path, good=small_config(), broken=broken)
    report = tmp_path / "junit.xml"
    result = CliRunner().invoke(
        main, ["run", str(folder), "--format", "junit", "--output", str(report)]
    )
    assert result.exit_code == 1
    suites = {suite.name: suite for suite in JUnitXml.fromfile(str(report))}
    assert suites[str(folder / "good.yaml")].failures == 0
    cases = [case for case in suites[str(folder / "broken.yaml")] if case.result]
    if symbolic:
        assert suites[str(folder / "broken.yaml")].failures == 1
        assert "activations.swish.df" in cases[0].result[0].message
        assert "is not the derivative of f = 'x * sigmoid(x)'" in cases[0].result[0].message
    else:
        assert "layer 1 · φ¹ (Eq. 2)" in [case.name for case in cases]


def test_ctrl_c_prints_what_was_checked_and_exits_130(monkeypatch) -> None:
    from backprop_check.judge import checker

    real = checker.Checker._check_target
    calls = []

    def interrupt_on_the_fifth(self, target, pool, progress):
        calls.append(target)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(self, target, pool, progress)

    monkeypatch.setattr(checker.Checker, "_check_target", interrupt_on_the_fifth)
    result = CliRunner().invoke(main, ["run", str(CONFIGS[-1])])
    assert result.exit_code == 130
    assert result.stderr == (
        f"Interrupted while checking {CONFIGS[-1]}: 4 of 9 checks done, 4 passed, 0 failed.\n"
    )
