"""`bpcheck run CONFIG` through CliRunner: tables, JSON, options, messages, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from backprop_check import check
from backprop_check.cli import main

from ..helpers import CONFIGS, ROOT, broken_sigmoid, small_config, table_rows, write

SOFTMAX_CCE = ROOT / "configs" / "softmax_cce.yaml"


def _config_file(tmp_path: Path, **changes) -> Path:
    return write(tmp_path, yaml.safe_dump(small_config(**changes)))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_exit_0(runner: CliRunner, path: Path) -> None:
    result = runner.invoke(main, ["run", str(path)])
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.stdout


def test_table_output(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE)])
    lines = result.stdout.splitlines()
    assert lines[0] == f"bpcheck · {SOFTMAX_CCE}"
    assert lines[1].startswith(
        "network 4 → 16 relu → 8 sigmoid → 3 softmax · loss categorical_crossentropy = "
    )
    assert lines[1].endswith(" · batch 8 · seed 0")
    assert lines[2] == (
        "central differences · eps 1e-06 · rtol 1e-05 · atol 1e-08 · every element · float64 · "
        "kinks: report"
    )
    # From the output layer down: the order errors flow in.
    assert [line.rstrip() for line in lines if line.startswith("Layer")] == [
        "Layer 3 of 3 · 3 units · softmax · output",
        "Layer 2 of 3 · 8 units · sigmoid · hidden",
        "Layer 1 of 3 · 16 units · relu · hidden",
    ]
    rows = table_rows(result.stdout)
    assert [row[0] for row in rows] == ["φ³", "∇W³", "∇b³", "φ²", "∇W²", "∇b²", "φ¹", "∇W¹", "∇b¹"]
    assert all(row[-1] == "pass" for row in rows)
    assert (
        lines[-2]
        == "All 9 checks passed: Equations 1–4 agree with the finite differences at every layer."
    )
    assert lines[-1] == "PASSED: 9 of 9 checks."
    assert result.stderr == ""


def test_json_document(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert set(document) == {
        "passed", "config", "loss", "loss_value", "method", "eps", "rtol", "atol", "seed",
        "batch_size", "dtype", "resolves", "kinks", "config_sha256", "data_sha256", "versions",
        "mode", "sample", "directions", "coverage", "diagnosis", "warnings", "impl", "forward",
        "first_failure", "skipped", "layers",
    }  # fmt: skip
    assert document["passed"] is True
    assert document["method"] == "central"
    assert (document["eps"], document["rtol"], document["atol"], document["seed"]) == (
        1e-6,
        1e-5,
        1e-8,
        0,
    )
    assert [
        (layer["layer"], layer["units"], layer["activation"]) for layer in document["layers"]
    ] == [
        (1, 16, "relu"),
        (2, 8, "sigmoid"),
        (3, 3, "softmax"),
    ]
    first = document["layers"][0]["checks"][0]
    assert {"quantity", "equation", "shape", "max_abs_error", "max_rel_error", "rel_norm_error",
            "worst_index", "failed", "passed"} <= set(first)  # fmt: skip
    assert (first["quantity"], first["equation"], first["shape"]) == ("phi", 2, [8, 16])
    equations = [(c["quantity"], c["equation"]) for c in document["layers"][2]["checks"]]
    assert equations == [("phi", 1), ("W", 3), ("b", 4)]
    assert isinstance(first["max_abs_error"], float)
    assert first["failed"] == 0


def test_the_api_document_equals_the_cli_json() -> None:
    config = CONFIGS[0]
    cli = json.loads(CliRunner().invoke(main, ["run", str(config), "--format", "json"]).stdout)
    assert check(config).to_dict() == cli
    assert check(yaml.safe_load(config.read_text())).to_dict()["layers"] == cli["layers"]


def test_options_override_the_file(runner: CliRunner) -> None:
    args = ["run", str(SOFTMAX_CCE), "--format", "json", "--eps", "1e-5", "--rtol", "1e-4",
            "--atol", "1e-7", "--seed", "4", "--batch-size", "3"]  # fmt: skip
    document = json.loads(runner.invoke(main, args).stdout)
    assert (document["eps"], document["rtol"], document["atol"], document["seed"]) == (
        1e-5,
        1e-4,
        1e-7,
        4,
    )
    assert document["layers"][0]["checks"][0]["shape"] == [3, 16]


def test_a_broken_derivative_exits_1_and_names_the_equation(
    runner: CliRunner, monkeypatch, tmp_path: Path
) -> None:
    broken_sigmoid(monkeypatch)
    result = runner.invoke(main, ["run", str(_config_file(tmp_path))])
    assert result.exit_code == 1
    assert "φ³ passes but φ² fails: the error is in Eq. 2 between layers 3 and 2" in result.stdout
    assert "FAILED" in result.stdout
    result = runner.invoke(main, ["run", str(_config_file(tmp_path)), "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["passed"] is False
    phi2 = document["layers"][1]["checks"][0]
    assert (phi2["quantity"], phi2["equation"], phi2["passed"]) == ("phi", 2, False)
    assert phi2["failed"] > 0


def test_config_error_exits_2_with_one_paragraph(runner: CliRunner, tmp_path: Path) -> None:
    path = write(
        tmp_path, "input_size: 4\nlayers:\n  - {units: 3, activation: sofmax}\nloss: cce\n"
    )
    result = runner.invoke(main, ["run", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {path}, line 3, column 28, key 'layers[0].activation': "
        "unknown activation 'sofmax'. Expected one of: linear, relu, sigmoid, softmax, tanh. "
        "Did you mean 'softmax'?\n"
    )
    assert "Traceback" not in result.output


def test_bad_option_value_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--eps", "0"])
    assert result.exit_code == 2
    assert (
        result.stderr
        == "Error: command line, option '--eps': expected a finite number > 0 and < 1, found 0.0.\n"
    )
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--eps", "tiny"])
    assert result.exit_code == 2
    assert "'tiny' is not a valid float" in result.stderr


def test_missing_config_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["run", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / 'absent.yaml'}: file not found.\n"


def test_save_arrays(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "arrays.out"  # no .npz suffix: written exactly where asked
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--save-arrays", str(target)])
    assert result.exit_code == 0
    with np.load(target) as arrays:
        expected = ["x", "y"] + [
            f"{p}{j}" for p in ("W", "b", "dW", "db", "nW", "nb") for j in (1, 2, 3)
        ]
        assert sorted(arrays.files) == sorted(expected)
        assert arrays["x"].shape == (8, 4)
        assert arrays["y"].shape == (8, 3)
        assert arrays["W1"].shape == arrays["dW1"].shape == arrays["nW1"].shape == (16, 4)
        assert arrays["b3"].shape == arrays["db3"].shape == arrays["nb3"].shape == (3,)
        np.testing.assert_allclose(arrays["dW2"], arrays["nW2"], rtol=1e-5, atol=1e-8)


def test_save_arrays_never_overwrites_the_config(runner: CliRunner, tmp_path: Path) -> None:
    path = _config_file(tmp_path)
    before = path.read_bytes()
    result = runner.invoke(main, ["run", str(path), "--save-arrays", str(path)])
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"Error: {path}: refusing to write over an input file; choose another path.\n"
    )
    assert path.read_bytes() == before


def test_save_arrays_into_a_missing_folder_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir.npz"
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--save-arrays", str(target)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {target}: cannot write the arrays file")


def test_save_arrays_takes_one_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["run", str(ROOT / "configs"), "--save-arrays", str(tmp_path / "a.npz")]
    )
    assert result.exit_code == 2
    assert result.stderr == "Error: --save-arrays takes a single config; several were given.\n"


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "backprop_check", "run", str(SOFTMAX_CCE), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["passed"] is True


@pytest.mark.parametrize("method", ["central", "forward", "complex-step", "richardson"])
def test_json_says_which_method_ran(runner: CliRunner, method: str) -> None:
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--format", "json", "--method", method])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["method"] == method
    if method != "central":  # the file's eps/rtol/atol were chosen for central differences
        assert document["eps"] != 1e-6


def test_sample_and_directions_options(runner: CliRunner) -> None:
    sampled = json.loads(
        runner.invoke(main, ["run", str(SOFTMAX_CCE), "--format", "json", "--sample", "2"]).stdout
    )
    assert (sampled["mode"], sampled["sample"], sampled["directions"]) == ("sample", 2, None)
    assert {c["checked"] for layer in sampled["layers"] for c in layer["checks"]} == {2}
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--directions", "2"])
    assert result.exit_code == 0
    assert "2 random directions per tensor" in result.stdout
    assert "pass (2 directions)" in result.stdout
    both = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--directions", "2", "--sample", "3"])
    assert both.exit_code == 2
    assert both.stderr == (
        "Error: command line, option '--sample': choose either --sample or --directions, "
        "not both.\n"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lots", "'lots' is not a size such as 512M or 2G."),
        ("10K", "'10K' is below the smallest budget, 1M."),
    ],
)
def test_max_memory_must_be_a_size(runner: CliRunner, value: str, message: str) -> None:
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--max-memory", value])
    assert result.exit_code == 2
    assert message in result.stderr


def test_max_memory_and_jobs_do_not_change_the_verdict(runner: CliRunner) -> None:
    args = ["run", str(SOFTMAX_CCE), "--format", "json"]
    plain = json.loads(runner.invoke(main, args).stdout)
    tight = json.loads(runner.invoke(main, [*args, "--max-memory", "1M", "--jobs", "1"]).stdout)
    assert tight["passed"] is plain["passed"] is True
    assert tight["loss_value"] == plain["loss_value"]


def test_a_slow_full_check_suggests_a_quicker_mode(runner: CliRunner, monkeypatch) -> None:
    from backprop_check.judge import checker

    monkeypatch.setattr(checker.Checker, "element_count", lambda self: 10_000_000)
    monkeypatch.setattr(checker.Checker, "estimate_seconds", lambda self: 1500.0)
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--format", "json"])
    assert result.exit_code == 0
    assert result.stderr == (
        "Note: checking all 10,000,000 elements one at a time will take about 25 min here. "
        "For a quicker look, --sample 100 checks 100 elements per tensor, and --directions 8 "
        "checks 8 random directions per tensor.\n"
    )
    assert json.loads(result.stdout)["passed"] is True


def test_a_network_too_big_for_the_budget_is_refused_before_allocating(tmp_path: Path) -> None:
    huge = {
        "input_size": 4,
        "layers": [
            {"units": 5_000_000, "activation": "relu"},
            {"units": 3, "activation": "softmax"},
        ],
        "loss": "cce",
    }
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump(huge))
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"Error: {path}, line 4, column 10, key 'layers[0].units': this network needs about "
    )
    assert " for its parameters, gradients and activations" in result.stderr
    assert "more than the memory budget of 512.0 MiB (--max-memory)" in result.stderr
    small = CliRunner().invoke(main, ["run", str(CONFIGS[-1]), "--max-memory", "1M"])
    assert small.exit_code == 0  # a small network fits, and the differences are chunked


def test_run_explain_puts_the_equations_above_the_tables(runner: CliRunner) -> None:
    output = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--explain"]).stdout
    assert output.index("bpcheck explain") < output.index("Layer 1 of 3")


def test_heatmap_draws_the_failing_tensor(runner: CliRunner, monkeypatch) -> None:
    from backprop_check.core import backprop

    correct = backprop.grad_w

    def wrong_row(phi, a_prev):
        gradient = correct(phi, a_prev)
        gradient[1] *= 1.5
        return gradient

    monkeypatch.setattr(backprop, "grad_w", wrong_row)
    result = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--heatmap"])
    assert result.exit_code == 1
    assert "∇W¹ relative error per element (rows: units, columns: inputs)" in result.stdout
    assert "   1 ████████" in result.stdout


def test_dtype_and_kinks_options(runner: CliRunner) -> None:
    kinks = str(ROOT / "configs" / "relu_kinks.yaml")
    assert runner.invoke(main, ["run", kinks]).exit_code == 0
    # Its kinks are judged again one-sidedly, so even --kinks fail has nothing unjudged to fail.
    assert runner.invoke(main, ["run", kinks, "--kinks", "fail"]).exit_code == 0
    assert runner.invoke(main, ["run", kinks, "--kinks", "bracket"]).exit_code == 0
    document = json.loads(
        runner.invoke(
            main, ["run", str(SOFTMAX_CCE), "--dtype", "float32", "--format", "json"]
        ).stdout
    )
    assert (document["dtype"], document["eps"], document["passed"]) == ("float32", 0.01, True)
    assert document["warnings"][0].startswith("float32 keeps about 7 significant digits")


def test_sampled_and_directional_runs_state_their_coverage(runner: CliRunner) -> None:
    # sigmoid_bce.yaml (no kinks to leave out): φ¹ 8×8, ∇W¹ 8×6, ∇b¹ 8, φ² 8×3, ∇W² 3×8, ∇b² 3.
    sigmoid_bce = str(ROOT / "configs" / "sigmoid_bce.yaml")
    elements, checked = 64 + 48 + 8 + 24 + 24 + 3, 5 * 5 + 3
    sampled = runner.invoke(main, ["run", sigmoid_bce, "--sample", "5"])
    assert sampled.exit_code == 0
    assert sampled.stdout.splitlines()[-1] == (
        f"PASSED: 6 of 6 checks; checked {checked} of {elements} elements: a bug in one element "
        f"is found with probability ≈ {100 * checked / elements:.3g} %."
    )
    document = json.loads(
        runner.invoke(main, ["run", sigmoid_bce, "--sample", "5", "--format", "json"]).stdout
    )
    assert (document["coverage"]["checked"], document["coverage"]["elements"]) == (
        checked,
        elements,
    )
    # softmax_cce.yaml: φ¹ 8×16, ∇W¹ 16×4, ∇b¹ 16, φ² 8×8, ∇W² 8×16, ∇b² 8, φ³ 8×3, ∇W³ 3×8, ∇b³ 3.
    elements = 128 + 64 + 16 + 64 + 128 + 8 + 24 + 24 + 3
    directions = runner.invoke(main, ["run", str(SOFTMAX_CCE), "--directions", "2"])
    verdict = " ".join(directions.stdout[directions.stdout.index("PASSED:") :].split())
    assert verdict.startswith(
        f"PASSED: 9 of 9 checks; checked 2 random directions in each of 9 tensors ({elements} "
        "elements in all): a bug as large as a typical element is found with probability "
    )
    # A directional row shows the tensor it checked, not the count of its directions.
    row = next(row for row in table_rows(directions.stdout) if row[0] == "∇W¹")
    assert row[2] == "16×4"
    assert row[-1] == "pass (2 directions)"
