"""Issue 10 through the command line: `impl:` in a config, `--impl`, the forward row, rows not
checked in every format, first_failure in JSON, regularization, `bpcheck init --impl`."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from backprop_check.cli import main
from backprop_check.spec.impl_section import IMPL_DEFAULTS

from ..helpers import impl_project


def test_an_impl_block_is_checked_and_unchecked_rows_are_said(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = impl_project(tmp_path, {"file": "network.py"})
    result = runner.invoke(main, ["run", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    phi_rows = [line for line in lines if line.startswith("φ")]
    assert len(phi_rows) == 2
    assert all("not checked" in row for row in phi_rows)
    assert (
        "All 4 checked rows pass; 2 φ rows not checked: backward() in network.py returns ∇W "
        "and ∇b only, no φ."
    ) in lines
    assert lines[-1] == "PASSED: 4 of 4 checked rows; 2 not checked."
    assert f"your code: {tmp_path / 'network.py'} (backward)" in lines


def test_json_marks_skipped_rows_and_counts_only_checked_ones(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = impl_project(tmp_path, {"file": "network.py"})
    result = runner.invoke(main, ["run", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert Path(document["impl"]).name == "network.py"
    assert document["skipped"] == 2
    assert document["first_failure"] is None
    assert document["forward"] is None
    rows = [row for layer in document["layers"] for row in layer["checks"]]
    phi = [row for row in rows if row["quantity"] == "phi"]
    assert [(row["skipped"], row["passed"], row["mode"]) for row in phi] == [
        (True, None, "skipped")
    ] * 2
    assert all(row["passed"] is True and row["skipped"] is False for row in rows if row not in phi)


def test_junit_counts_skipped_rows_as_skipped(runner: CliRunner, tmp_path: Path) -> None:
    path = impl_project(tmp_path, {"file": "network.py"})
    result = runner.invoke(main, ["run", str(path), "--format", "junit"])
    assert result.exit_code == 0, result.output
    suite = ET.fromstring(result.stdout)
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    assert suite is not None
    assert suite.get("skipped") == "2"
    assert suite.get("failures") == "0"
    skipped = [case for case in suite.iter("testcase") if case.find("skipped") is not None]
    assert len(skipped) == 2
    assert all("φ" in (case.get("name") or "") for case in skipped)


def test_markdown_says_not_checked(runner: CliRunner, tmp_path: Path) -> None:
    path = impl_project(tmp_path, {"file": "network.py"})
    result = runner.invoke(main, ["run", str(path), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "| 0 of 4 (2 not checked) | All 4 checked rows pass; 2 φ rows not checked" in (
        result.stdout
    )


def test_a_bug_exits_1_and_json_names_the_first_failure(runner: CliRunner, tmp_path: Path) -> None:
    path = impl_project(tmp_path, {"file": "network.py"}, sign=-1)
    result = runner.invoke(main, ["run", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["passed"] is False
    assert document["first_failure"] == {"layer": 2, "quantity": "phi", "equation": 1}


def test_the_forward_row_comes_first_and_fails_the_run(runner: CliRunner, tmp_path: Path) -> None:
    path = impl_project(tmp_path, {"file": "network.py", "loss": "loss"}, half=True)
    result = runner.invoke(main, ["run", str(path)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    forward = next(i for i, line in enumerate(lines) if line.startswith("forward (loss): "))
    cause = lines.index("Cause: the forward row, your loss ≠ the config's network, from your loss")
    first_layer = next(i for i, line in enumerate(lines) if line.startswith("Layer "))
    assert forward < cause < first_layer
    assert lines[forward].endswith(
        "your forward pass or loss differs from the network the config describes · FAIL"
    )
    assert "Your loss is ½ × the config's" in " ".join(x.strip() for x in lines[cause:first_layer])
    assert lines[-1] == "FAILED: 5 of 5 checked rows failed; 2 not checked."
    assert result.stdout.count("The forward row fails: ") == 1  # said once, at the top
    # Every failing row compares against your loss: each follows from the forward row.
    assert "∇W², ∇b², ∇W¹, ∇b¹ only inherit the error of the forward row" in result.stdout
    assert result.stdout.count("follows from the forward row; fix the forward row first.") == 4
    json_result = runner.invoke(main, ["run", str(path), "--format", "json"])
    document = json.loads(json_result.stdout)
    assert document["first_failure"] == {"layer": None, "quantity": "forward", "equation": None}
    assert document["forward"]["passed"] is False
    assert document["forward"]["from"] == "loss"
    assert document["forward"]["yours"] == pytest.approx(document["forward"]["config"] / 2)


def test_the_option_overrides_the_block_file_and_keeps_its_conventions(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = impl_project(tmp_path, {"file": "absent.py", "weights": "in_out"}, transpose=True)
    missing = runner.invoke(main, ["run", str(path)])
    assert missing.exit_code == 2
    assert "key 'impl.file'" in missing.stderr
    assert "absent.py: no such file" in missing.stderr
    given = runner.invoke(main, ["run", str(path), "--impl", str(tmp_path / "network.py")])
    assert given.exit_code == 0, given.output


def test_a_convention_mismatch_exits_2_in_one_located_paragraph(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = impl_project(tmp_path, {"file": "network.py"}, dw_t=True)
    result = runner.invoke(main, ["run", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message
    assert message.startswith(f"Error: {path}")
    assert "key 'impl.weights'" in message


def test_built_in_backward_with_regularization_labels_eq3(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = impl_project(tmp_path, regularization={"half_l2": 0.1})
    result = runner.invoke(main, ["run", str(path)])
    assert result.exit_code == 0, result.output
    w_rows = [line for line in result.stdout.splitlines() if line.startswith("∇W")]
    assert len(w_rows) == 2
    assert all("3 + λW" in row for row in w_rows)
    document = json.loads(runner.invoke(main, ["run", str(path), "--format", "json"]).stdout)
    terms = {
        row["quantity"]: row["term"] for layer in document["layers"] for row in layer["checks"]
    }
    assert terms == {"phi": None, "W": "λW", "b": None}


def test_the_penalty_is_in_the_checked_loss(runner: CliRunner, tmp_path: Path) -> None:
    # Code without an L2 term, checked under regularization: ∇W fails on every layer, naming l2.
    path = impl_project(tmp_path, {"file": "network.py"}, regularization={"l2": 0.1})
    result = runner.invoke(main, ["run", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    failing = [
        row for layer in document["layers"] for row in layer["checks"] if row["passed"] is False
    ]
    assert {row["quantity"] for row in failing} == {"W"}
    assert all("leaves out the gradient 2λW" in row["hint"] for row in failing)


def test_init_with_impl_writes_code_and_block_that_pass(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["init", "mine.yaml", "--impl"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "wrote mine.yaml and my_backprop.py; check it with: bpcheck run mine.yaml\n"
    )
    document = yaml.safe_load(Path("mine.yaml").read_text())
    # The whole block, every key at its default but the file: nothing left for the user to guess.
    assert document["impl"] == {**IMPL_DEFAULTS, "file": "my_backprop.py"}
    assert "def backward(weights, biases, x, y):" in Path("my_backprop.py").read_text()
    run = runner.invoke(main, ["run", "mine.yaml"])
    assert run.exit_code == 0, run.output
    assert "your code: my_backprop.py" in run.stdout
    # And the starter code is really checked: a planted bug fails it.
    code = Path("my_backprop.py")
    code.write_text(code.read_text().replace("phi.sum(axis=0)", "2 * phi.sum(axis=0)"))
    assert runner.invoke(main, ["run", "mine.yaml"]).exit_code == 1


def test_init_with_impl_overwrites_nothing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("my_backprop.py").write_text("# mine\n")
    refused = runner.invoke(main, ["init", "--impl"])
    assert refused.exit_code == 2
    assert "my_backprop.py: already exists; not overwritten. Use --force" in refused.stderr
    assert Path("my_backprop.py").read_text() == "# mine\n"
    assert not os.path.lexists("bpcheck.yaml")  # nothing half done
    assert runner.invoke(main, ["init"]).exit_code == 0  # without --impl, the code is no matter
    forced = runner.invoke(main, ["init", "--impl", "--force"])
    assert forced.exit_code == 0
    assert "def backward" in Path("my_backprop.py").read_text()


def test_html_shows_the_forward_row_and_the_cause_it_names(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = impl_project(tmp_path, {"file": "network.py", "loss": "loss"}, half=True)
    result = runner.invoke(main, ["run", str(path), "--format", "html"])
    assert result.exit_code == 1, result.output
    page = result.stdout
    assert '<div class="box fail" id="forward">forward (loss): your loss' in page
    assert "Cause: the forward row, your loss ≠ the config&#x27;s network" in page
    assert page.index('id="forward"') < page.index('id="diagnosis"')


def test_html_names_phi_from_w_and_b_when_phi_is_not_checked(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = impl_project(tmp_path, {"file": "network.py"}, sign=-1)
    result = runner.invoke(main, ["run", str(path), "--format", "html"])
    assert result.exit_code == 1, result.output
    assert "Cause: φ² (not checked; told by ∇W and ∇b), Eq. 1 at layer 2" in result.stdout
    text = runner.invoke(main, ["run", str(path)]).stdout
    assert "Cause: φ² (not checked; told by ∇W and ∇b), Eq. 1 at layer 2" in text


def test_a_sweep_never_shows_an_unchecked_phi_as_passing(runner: CliRunner, tmp_path: Path) -> None:
    path = impl_project(tmp_path, {"file": "network.py"})
    result = runner.invoke(main, ["sweep", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {row["quantity"] for row in document["rows"]} == {"W", "b"}
    assert [entry["check"] for entry in document["not_checked"]] == ["φ¹", "φ²"]
    assert "Every checked row passes at the configured eps" in document["summary"]
    assert (
        "Not checked at any eps: φ¹, φ² (backward() in network.py returns ∇W and ∇b only"
        in (document["summary"])
    )
    text = runner.invoke(main, ["sweep", str(path)]).stdout
    assert not [line for line in text.splitlines() if line.startswith("φ")]
