"""`.npz` data files, and preparing a batch: standardize and shuffle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from backprop_check import ConfigError, check, load_config
from backprop_check.spec.build import build_problem

from ..helpers import (
    ANIMALS,
    ROOT,
    csv_config,
    npz_config,
    random_batch,
    small_config,
)


def test_the_batch_comes_from_the_file_relative_to_the_config(tmp_path: Path, rng) -> None:
    arrays = random_batch(rng)
    config = load_config(npz_config(tmp_path, arrays))
    assert config.batch_size == 8  # the default: a few rows are enough for a gradient check
    _, x, y = build_problem(config)
    np.testing.assert_array_equal(x, arrays["x"][:8])
    np.testing.assert_array_equal(y, arrays["y"][:8])
    assert check(config).passed


def test_rows_and_batch_size_pick_the_first_rows(tmp_path: Path, rng) -> None:
    path = npz_config(tmp_path, random_batch(rng))
    text = path.read_text().replace("path: batch.npz", "path: batch.npz\n  rows: 3")
    path.write_text(text)
    assert load_config(path).batch_size == 3
    assert load_config(path).with_overrides(batch_size=10).batch_size == 10
    with pytest.raises(
        ConfigError, match=r"option .batch_size.: asks for 11 rows but batch\.npz has 10"
    ):
        load_config(path).with_overrides(batch_size=11)


def test_parameters_in_the_file_replace_the_random_ones(tmp_path: Path, rng) -> None:
    arrays = random_batch(rng)
    weights = {
        "W1": rng.standard_normal((6, 4)),
        "W2": rng.standard_normal((5, 6)),
        "W3": rng.standard_normal((3, 5)),
    }
    biases = {"b1": np.zeros(6), "b2": np.ones(5), "b3": np.full(3, 0.5)}
    network, _, _ = build_problem(
        load_config(npz_config(tmp_path, {**arrays, **weights, **biases}))
    )
    np.testing.assert_array_equal(network.W(2), weights["W2"])
    np.testing.assert_array_equal(network.b(3), biases["b3"])


def test_saved_arrays_check_again_to_the_same_numbers(tmp_path: Path) -> None:
    from backprop_check.report.saving import save_arrays

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
    path = npz_config(tmp_path, arrays)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}, line 2, column 9, key 'data.path': ")
    assert message in str(caught.value)


def test_bce_labels_must_be_probabilities(tmp_path: Path) -> None:
    arrays = {"x": np.zeros((4, 4)), "y": np.full((4, 3), 2.0)}
    path = npz_config(tmp_path, arrays, layers=[{"units": 3, "activation": "sigmoid"}], loss="bce")
    with pytest.raises(ConfigError, match=r"binary cross-entropy needs labels y in \[0, 1\]"):
        load_config(path)


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


def test_standardize_scales_over_all_rows_before_taking_the_first(tmp_path: Path) -> None:
    config = load_config(csv_config(tmp_path, ANIMALS, standardize=True, rows=3))
    x = np.array([[1, 10], [2, 4], [3, 0.5], [4, 5], [5, 20], [6, 0.25]])
    np.testing.assert_allclose(config.data.x, (x - x.mean(axis=0)) / x.std(axis=0))
    np.testing.assert_allclose(config.data.x.std(axis=0), 1)
    _, batch, _ = build_problem(config)
    np.testing.assert_allclose(batch, config.data.x[:3])
    assert not np.allclose(batch.mean(axis=0), 0)  # the first rows alone were not rescaled


def test_standardize_uses_the_rows_classes_keeps(tmp_path: Path) -> None:
    config = load_config(
        csv_config(tmp_path, ANIMALS, units=2, classes=["cat", "dog"], standardize=True)
    )
    np.testing.assert_allclose(config.data.x.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(config.data.x[:, 0], (np.array([1, 2, 4, 5]) - 3) / np.sqrt(2.5))


def test_standardize_leaves_a_constant_column_at_0(tmp_path: Path) -> None:
    text = "a,kind,b\n1,x,7\n2,y,7\n3,z,7\n"
    config = load_config(csv_config(tmp_path, text, standardize=True))
    np.testing.assert_array_equal(config.data.x[:, 1], 0)
    assert np.all(np.isfinite(config.data.x))


def test_standardize_and_shuffle_work_for_npz_too(tmp_path: Path, rng) -> None:
    arrays = random_batch(rng, rows=10)
    arrays["x"] = 3 + 5 * arrays["x"]
    path = npz_config(tmp_path, arrays)
    text = path.read_text().replace("path: batch.npz", "path: batch.npz\n  standardize: true")
    path.write_text(text.replace("standardize: true", "standardize: true\n  shuffle: 4"))
    data = load_config(path).data
    np.testing.assert_allclose(data.x.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.x.std(axis=0), 1)
    order = np.random.default_rng(4).permutation(10)
    x = arrays["x"]
    np.testing.assert_allclose(data.x, ((x - x.mean(axis=0)) / x.std(axis=0))[order])
    np.testing.assert_array_equal(data.y, arrays["y"][order])


def test_shuffle_is_deterministic_and_keeps_rows_with_their_labels(tmp_path: Path) -> None:
    text = "a,kind,b\n" + "".join(f"{i},{'pqr'[i // 10]},{-i}\n" for i in range(30))

    def data(**options):
        return load_config(csv_config(tmp_path, text, **options)).data

    first, again = data(shuffle=True), data(shuffle=True)
    np.testing.assert_array_equal(first.x, again.x)
    np.testing.assert_array_equal(first.x, data(shuffle=0).x)  # true is seed 0
    assert not np.array_equal(first.x, data(shuffle=1).x)
    assert sorted(first.x[:, 0]) == list(range(30))  # a permutation
    np.testing.assert_array_equal(first.x[:, 1], -first.x[:, 0])
    np.testing.assert_array_equal(first.y.argmax(axis=1), first.x[:, 0] // 10)
    np.testing.assert_array_equal(data(shuffle=False).x[:, 0], range(30))


@pytest.mark.parametrize("seed", range(5))
def test_shuffle_lets_the_classes_take_turns(tmp_path: Path, seed: int) -> None:
    # A sorted file: a plain shuffle's first rows could miss a class.
    text = "a,kind,b\n" + "".join(f"{i},{'pqr'[i // 10]},0\n" for i in range(30))
    y = load_config(csv_config(tmp_path, text, shuffle=seed)).data.y
    for rows in range(3, 31, 3):
        np.testing.assert_array_equal(y[:rows].sum(axis=0), rows // 3)
