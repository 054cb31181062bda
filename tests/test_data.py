"""`data:` files: batches and parameters from an .npz, and clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from backprop_check import ConfigError, check, load_config
from backprop_check.checker import build_problem

from .helpers import ROOT, small_config


def _config(tmp_path: Path, arrays: dict[str, np.ndarray], **changes) -> Path:
    np.savez(tmp_path / "batch.npz", **arrays)
    config = small_config(data={"path": "batch.npz"}, **changes)
    config.pop("batch_size")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _batch(rng, rows: int = 10) -> dict[str, np.ndarray]:
    return {"x": rng.standard_normal((rows, 4)), "y": np.eye(3)[rng.integers(0, 3, rows)]}


def test_the_batch_comes_from_the_file_relative_to_the_config(tmp_path: Path, rng) -> None:
    arrays = _batch(rng)
    config = load_config(_config(tmp_path, arrays))
    assert config.batch_size == 8  # the default: a few rows are enough for a gradient check
    _, x, y = build_problem(config)
    np.testing.assert_array_equal(x, arrays["x"][:8])
    np.testing.assert_array_equal(y, arrays["y"][:8])
    assert check(config).passed


def test_rows_and_batch_size_pick_the_first_rows(tmp_path: Path, rng) -> None:
    path = _config(tmp_path, _batch(rng))
    text = path.read_text().replace("path: batch.npz", "path: batch.npz\n  rows: 3")
    path.write_text(text)
    assert load_config(path).batch_size == 3
    assert load_config(path).with_overrides(batch_size=10).batch_size == 10
    with pytest.raises(
        ConfigError, match=r"option '--batch-size': asks for 11 rows but batch\.npz has 10"
    ):
        load_config(path).with_overrides(batch_size=11)


def test_parameters_in_the_file_replace_the_random_ones(tmp_path: Path, rng) -> None:
    arrays = _batch(rng)
    weights = {
        "W1": rng.standard_normal((6, 4)),
        "W2": rng.standard_normal((5, 6)),
        "W3": rng.standard_normal((3, 5)),
    }
    biases = {"b1": np.zeros(6), "b2": np.ones(5), "b3": np.full(3, 0.5)}
    network, _, _ = build_problem(load_config(_config(tmp_path, {**arrays, **weights, **biases})))
    np.testing.assert_array_equal(network.W(2), weights["W2"])
    np.testing.assert_array_equal(network.b(3), biases["b3"])


def test_saved_arrays_check_again_to_the_same_numbers(tmp_path: Path) -> None:
    from backprop_check.saving import save_arrays

    first = check(small_config())
    save_arrays(first, tmp_path / "run.npz")
    config = small_config(data={"path": "run.npz", "rows": 5})
    config.pop("batch_size")
    path = tmp_path / "again.yaml"
    path.write_text(yaml.safe_dump(config))
    again = check(path)
    assert again.loss_value == first.loss_value
    assert [c.comparison.max_abs_error for c in again.checks] == [
        c.comparison.max_abs_error for c in first.checks
    ]


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.zeros((4, 4))}, "batch.npz has no array 'y'."),
        (
            {"x": np.zeros((4, 5)), "y": np.eye(3)[[0, 1, 2, 0]]},
            "array 'x' should be numbers of shape samples × 4, found float64 of shape 4 × 5.",
        ),
        (
            {"x": np.zeros((4, 4)), "y": np.eye(3)[[0, 1, 2]]},
            "x and y need the same, non-zero number of rows, found 4 and 3.",
        ),
        (
            {"x": np.full((4, 4), np.nan), "y": np.eye(3)[[0, 1, 2, 0]]},
            "array 'x' holds NaN or infinity.",
        ),
        (
            {"x": np.zeros((4, 4)), "y": np.full((4, 3), 0.5)},
            "categorical cross-entropy needs label rows that are ≥ 0 and sum to 1 (one-hot).",
        ),
        (
            {"x": np.zeros((4, 4)), "y": np.array([["a", "b", "c"]] * 4)},
            "array 'y' should be numbers of shape samples × 3",
        ),
        (
            {"x": np.zeros((4, 4)), "y": np.eye(3)[[0, 1, 2, 0]], "W1": np.zeros((6, 4))},
            "has some parameters but not b1, W2, b2, W3, b3: give all or none.",
        ),
    ],
)
def test_bad_data_files_are_config_errors(tmp_path: Path, arrays, message: str) -> None:
    path = _config(tmp_path, arrays)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}, line 2, column 9, key 'data.path': ")
    assert message in str(caught.value)


def test_bce_labels_must_be_probabilities(tmp_path: Path) -> None:
    arrays = {"x": np.zeros((4, 4)), "y": np.full((4, 3), 2.0)}
    path = _config(tmp_path, arrays, layers=[{"units": 3, "activation": "sigmoid"}], loss="bce")
    with pytest.raises(ConfigError, match=r"binary cross-entropy needs labels y in \[0, 1\]"):
        load_config(path)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    config = small_config(data={"path": "nowhere.npz"})
    with pytest.raises(ConfigError, match=r"data file .*nowhere\.npz not found"):
        load_config(config)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match=r"junk\.npz is not a readable \.npz archive"):
        load_config({**config, "data": {"path": str(tmp_path / "junk.npz")}})
    with pytest.raises(
        ConfigError, match=r"expected an \.npz file with x and y, found 'batch\.csv'"
    ):
        load_config({**config, "data": {"path": "batch.csv"}})


def test_the_shipped_kink_data_is_what_its_script_writes() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "configs" / "data"))
    try:
        from make_relu_kinks import build
    finally:
        sys.path.pop(0)
    with np.load(ROOT / "configs" / "data" / "relu_kinks.npz") as shipped:
        for name, array in build().items():
            np.testing.assert_array_equal(shipped[name], array)
