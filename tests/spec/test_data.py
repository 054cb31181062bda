"""`data:` files: batches and parameters from an .npz, labelled rows from a CSV, and clear errors
for bad ones."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from backprop_check import ConfigError, check, load_config
from backprop_check.spec.build import build_problem

from ..helpers import ROOT, small_config


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
        ConfigError,
        match=r"expected an \.npz file with x and y, or a \.csv file with a header row, "
        r"found 'batch\.txt'",
    ):
        load_config({**config, "data": {"path": "batch.txt"}})


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


# ----------------------------------------------------------------------------- CSV

IRIS = ROOT / "configs" / "data" / "iris.csv"
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

# Two features around a label column, so "every column but the target" is really tested.
ANIMALS = """\
height,kind,weight
1.0,dog,10
2.0,cat,4
3.0,bird,0.5
4.0,cat,5
5.0,dog,20
6.0,bird,0.25
"""


def _csv_config(
    tmp_path: Path,
    text: str | bytes,
    *,
    units: int = 3,
    loss: str = "categorical_crossentropy",
    **data,
) -> Path:
    """A config reading ``text`` as data/table.csv: 2 inputs → 4 tanh → ``units`` outputs."""
    (tmp_path / "data").mkdir(exist_ok=True)
    table = tmp_path / "data" / "table.csv"
    if isinstance(text, bytes):
        table.write_bytes(text)
    else:
        table.write_text(text, encoding="utf-8")
    output = {"mse": "linear", "binary_crossentropy": "sigmoid"}.get(loss, "softmax")
    config = {
        "input_size": 2,
        "layers": [
            {"units": 4, "activation": "tanh"},
            {"units": units, "activation": output},
        ],
        "loss": loss,
        "data": {"path": "data/table.csv", "target": "kind", **data},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert error.source == str(path)
    assert error.line is not None  # every data error points into the config file
    assert "\n" not in str(error)  # one paragraph
    return error


def _rows(text: str, column: int) -> list[str]:
    return [line.split(",")[column] for line in text.splitlines()[1:]]


# --- the shipped iris table


def test_the_shipped_iris_file_is_the_canonical_table() -> None:
    """Fisher's 1936 table as in sklearn: column sums and per-species means of the literature."""
    lines = IRIS.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join([*IRIS_FEATURES, "species"])
    cells = [line.split(",") for line in lines[1:]]
    assert len(cells) == 150
    species = np.array([row[4] for row in cells])
    x = np.array([[float(value) for value in row[:4]] for row in cells])
    assert list(species) == ["setosa"] * 50 + ["versicolor"] * 50 + ["virginica"] * 50
    np.testing.assert_allclose(x.sum(axis=0), [876.5, 458.6, 563.7, 179.9], atol=1e-9)
    means = {
        "setosa": [5.006, 3.428, 1.462, 0.246],
        "versicolor": [5.936, 2.770, 4.260, 1.326],
        "virginica": [6.588, 2.974, 5.552, 2.026],
    }
    for name, mean in means.items():
        np.testing.assert_allclose(x[species == name].mean(axis=0), mean, atol=1e-9)
    # The two rows the UCI copy gets wrong, as Fisher printed them.
    assert lines[35] == "4.9,3.1,1.5,0.2,setosa"
    assert lines[38] == "4.9,3.6,1.4,0.1,setosa"


@pytest.mark.parametrize(
    ("name", "counts"),
    [("iris_softmax_cce.yaml", [3, 3, 3]), ("iris_binary_bce.yaml", [4, 4])],
)
def test_the_iris_configs_check_a_class_balanced_batch(name: str, counts: list[int]) -> None:
    config = load_config(ROOT / "configs" / name)
    _, x, y = build_problem(config)
    assert x.shape == (sum(counts), 4)
    if y.shape[1] == 1:
        assert config.data.classes == ("versicolor", "virginica")
        assert [int((y == 0).sum()), int((y == 1).sum())] == counts
    else:
        assert config.data.classes == ("setosa", "versicolor", "virginica")
        assert y.sum(axis=0).tolist() == counts
    np.testing.assert_allclose(config.data.x.mean(axis=0), 0, atol=1e-12)
    assert check(config).passed


# --- labels by loss


def test_cce_labels_become_one_hot_over_the_sorted_classes(tmp_path: Path) -> None:
    config = load_config(_csv_config(tmp_path, ANIMALS, rows=6))
    assert config.data.classes == ("bird", "cat", "dog")
    np.testing.assert_array_equal(config.data.x[:, 0], [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(config.data.x[:, 1], [10, 4, 0.5, 5, 20, 0.25])
    np.testing.assert_array_equal(config.data.y.argmax(axis=1), [2, 1, 0, 1, 2, 0])
    np.testing.assert_array_equal(config.data.y.sum(axis=1), 1)
    assert config.batch_size == 6
    assert check(config).passed


def test_numeric_classes_sort_by_value(tmp_path: Path) -> None:
    text = "a,kind,b\n" + "".join(f"{i},{label},0\n" for i, label in enumerate([10, 2, 1, 2]))
    config = load_config(_csv_config(tmp_path, text))
    assert config.data.classes == ("1", "2", "10")
    np.testing.assert_array_equal(config.data.y.argmax(axis=1), [2, 1, 0, 1])


def test_the_default_batch_is_up_to_8_rows(tmp_path: Path) -> None:
    text = "a,kind,b\n" + "".join(f"{i},{'xyz'[i % 3]},{-i}\n" for i in range(20))
    assert load_config(_csv_config(tmp_path, text)).batch_size == 8


@pytest.mark.parametrize(
    ("labels", "expected", "classes"),
    [
        (["yes", "no", "no", "yes"], [1, 0, 0, 1], ("no", "yes")),
        (["1", "0", "0", "1"], [1, 0, 0, 1], ()),  # numeric 0/1 stay 0/1
        (["1", "1", "1", "1"], [1, 1, 1, 1], ()),
        (["0.25", "1", "0", "0.5"], [0.25, 1, 0, 0.5], ()),  # probabilities stay
        (["2", "1", "1", "2"], [1, 0, 0, 1], ("1", "2")),
        (["10", "9", "9", "10"], [1, 0, 0, 1], ("9", "10")),
    ],
)
def test_bce_labels_map_two_classes_to_0_and_1(
    tmp_path: Path, labels: list[str], expected: list[float], classes: tuple[str, ...]
) -> None:
    text = "a,kind,b\n" + "".join(f"{i},{label},{i * i}\n" for i, label in enumerate(labels))
    config = load_config(_csv_config(tmp_path, text, units=1, loss="binary_crossentropy"))
    np.testing.assert_array_equal(config.data.y, np.array(expected)[:, None])
    assert config.data.classes == classes
    assert check(config).passed


def test_mse_takes_the_numeric_target_as_y(tmp_path: Path) -> None:
    text = "a,kind,b\n1,0.5,2\n3,-1.5,4\n5,2e-1,6\n"
    config = load_config(_csv_config(tmp_path, text, units=1, loss="mse"))
    np.testing.assert_array_equal(config.data.y, [[0.5], [-1.5], [0.2]])
    np.testing.assert_array_equal(config.data.x, [[1, 2], [3, 4], [5, 6]])
    assert config.data.classes == ()
    assert check(config).passed


def test_cells_may_be_quoted_and_padded_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    text = '\ufeff height , kind ,"weight"\n\n1, dog ,"10"\r\n\n2,cat,4\n3,bird,5\n'
    config = load_config(_csv_config(tmp_path, text))
    np.testing.assert_array_equal(config.data.x, [[1, 10], [2, 4], [3, 5]])
    assert config.data.classes == ("bird", "cat", "dog")


# --- classes, standardize, shuffle


def test_classes_keeps_only_the_listed_labels(tmp_path: Path) -> None:
    path = _csv_config(
        tmp_path, ANIMALS, units=1, loss="binary_crossentropy", classes=["dog", "cat"]
    )
    config = load_config(path)
    # Sorted, whatever the order in the list: cat 0, dog 1.
    assert config.data.classes == ("cat", "dog")
    np.testing.assert_array_equal(config.data.x[:, 0], [1, 2, 4, 5])
    np.testing.assert_array_equal(config.data.y[:, 0], [1, 0, 0, 1])
    assert config.batch_size == 4


def test_classes_may_be_numbers_in_yaml(tmp_path: Path) -> None:
    text = "a,kind,b\n1,0,1\n2,1,2\n3,2,3\n4,1,4\n"
    config = load_config(_csv_config(tmp_path, text, units=2, classes=[1, 2]))
    assert config.data.classes == ("1", "2")
    np.testing.assert_array_equal(config.data.x[:, 0], [2, 3, 4])


def test_standardize_scales_over_all_rows_before_taking_the_first(tmp_path: Path) -> None:
    config = load_config(_csv_config(tmp_path, ANIMALS, standardize=True, rows=3))
    x = np.array([[1, 10], [2, 4], [3, 0.5], [4, 5], [5, 20], [6, 0.25]])
    np.testing.assert_allclose(config.data.x, (x - x.mean(axis=0)) / x.std(axis=0))
    np.testing.assert_allclose(config.data.x.std(axis=0), 1)
    _, batch, _ = build_problem(config)
    np.testing.assert_allclose(batch, config.data.x[:3])
    assert not np.allclose(batch.mean(axis=0), 0)  # the first rows alone were not rescaled


def test_standardize_uses_the_rows_classes_keeps(tmp_path: Path) -> None:
    config = load_config(
        _csv_config(tmp_path, ANIMALS, units=2, classes=["cat", "dog"], standardize=True)
    )
    np.testing.assert_allclose(config.data.x.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(config.data.x[:, 0], (np.array([1, 2, 4, 5]) - 3) / np.sqrt(2.5))


def test_standardize_leaves_a_constant_column_at_0(tmp_path: Path) -> None:
    text = "a,kind,b\n1,x,7\n2,y,7\n3,z,7\n"
    config = load_config(_csv_config(tmp_path, text, standardize=True))
    np.testing.assert_array_equal(config.data.x[:, 1], 0)
    assert np.all(np.isfinite(config.data.x))


def test_standardize_and_shuffle_work_for_npz_too(tmp_path: Path, rng) -> None:
    arrays = _batch(rng, rows=10)
    arrays["x"] = 3 + 5 * arrays["x"]
    path = _config(tmp_path, arrays)
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
        return load_config(_csv_config(tmp_path, text, **options)).data

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
    y = load_config(_csv_config(tmp_path, text, shuffle=seed)).data.y
    for rows in range(3, 31, 3):
        np.testing.assert_array_equal(y[:rows].sum(axis=0), rows // 3)


# --- errors


def test_a_data_error_names_the_config_line_the_key_and_the_file(tmp_path: Path) -> None:
    path = _csv_config(tmp_path, "height,kinds,weight\n1,a,2\n")
    assert str(_error(path)) == (
        f"{path}, line 10, column 11, key 'data.target': table.csv has no column 'kind'. "
        "Did you mean 'kinds'? Columns: height, kinds, weight."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"", "table.csv is empty, expected a header row such as x1,x2,label."),
        (b"\n  \n", "table.csv is empty, expected a header row such as x1,x2,label."),
        (b"height,kind,weight\n", "table.csv has a header but no data rows."),
        (b"height,kind,weight\n\n\n", "table.csv has a header but no data rows."),
        (
            b"height,kind,weight\n1,a,2\n3,b\n",
            "table.csv line 3 has 2 cells where the header has 3; every row needs one cell per "
            "column.",
        ),
        (
            b"height,kind,weight\n1,a,2\n3,b,4,\n",
            "table.csv line 3 has 4 cells where the header has 3",
        ),
        (
            b"height;kind;weight\n1;a;2\n",
            "table.csv has a single column 'height;kind;weight' on line 1, expected "
            "comma-separated columns: the features and the target.",
        ),
        (
            b"height,kind,height\n1,a,2\n",
            "table.csv line 1: column 'height' appears twice in the header.",
        ),
        (b"height,kind,\n1,a,2\n", "table.csv line 1: column 3 of the header has no name."),
        (
            b'height,kind,weight\n1,a,2\n"3"x,b,4\n',
            "table.csv line 3 is not valid CSV (',' expected after '\"'); expected "
            "comma-separated cells with a header row.",
        ),
        (
            b"height,kind,weight\n1,caf\xe9,2\n",
            "table.csv is not UTF-8 text (byte 0xe9 on line 2), expected a CSV text file with a "
            "header row.",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "table.csv is a binary file (a NUL byte on line 3), expected a CSV text file with a "
            "header row.",
        ),
        (
            b"height,kind,weight\n1,a,2\n3,b,heavy\n",
            "table.csv row 2 (line 3), column 'weight': expected a number, found 'heavy'.",
        ),
        (
            b"height,kind,weight\n1,a,2\n\n3,b,\n",
            "table.csv row 2 (line 4), column 'weight': expected a number, found an empty cell.",
        ),
        (
            b"height,kind,weight\nnan,a,2\n",
            "table.csv row 1 (line 2), column 'height': expected a number, found 'nan'.",
        ),
        (
            b"height,kind,weight,age\n1,a,2,3\n",
            "table.csv has 3 feature columns (height, weight, age: every column but the target "
            "'kind') but input_size is 2.",
        ),
    ],
)
def test_bad_csv_files_are_errors_at_data_path(tmp_path: Path, text: bytes, message: str) -> None:
    error = _error(_csv_config(tmp_path, text))
    assert error.key == "data.path"
    assert message in error.message


def test_row_numbers_are_the_files_even_after_classes_filtered(tmp_path: Path) -> None:
    text = "height,kind,weight\n1,a,2\n2,b,3\n3,a,x\n"
    error = _error(_csv_config(tmp_path, text, units=1, loss="mse", classes=["a"]))
    assert error.key == "data.path"
    assert "table.csv row 3 (line 4), column 'weight': expected a number, found 'x'." in str(error)


@pytest.mark.parametrize(
    ("text", "options", "key", "message"),
    [
        (
            ANIMALS,
            {"units": 2},
            "data.target",
            "categorical cross-entropy needs one output unit per class: column 'kind' of "
            "table.csv has 3 classes (bird, cat, dog) but the last layer has 2 units (keep fewer "
            "with data.classes).",
        ),
        (
            ANIMALS,
            {"units": 4},
            "data.target",
            "has 3 classes (bird, cat, dog) but the last layer has 4 units.",
        ),
        (
            "a,kind,b\n" + "".join(f"{i},{i},0\n" for i in range(12)),
            {},
            "data.target",
            "has 12 classes (0, 1, 2, 3, 4, 5, 6, 7, … (4 more)) but the last layer has 3 units",
        ),
        (
            ANIMALS,
            {"units": 1, "loss": "binary_crossentropy"},
            "data.target",
            "binary cross-entropy needs exactly two classes, column 'kind' of table.csv has 3 "
            "(bird, cat, dog): keep two with data.classes, e.g. classes: [bird, cat].",
        ),
        (
            "a,kind,b\n1,dog,2\n3,dog,4\n",
            {"units": 1, "loss": "binary_crossentropy"},
            "data.target",
            "has 1 (dog): the file needs rows of a second class.",
        ),
        (
            ANIMALS,
            {"units": 2, "loss": "binary_crossentropy", "classes": ["cat", "dog"]},
            "data.target",
            "binary cross-entropy on a CSV needs a last layer with 1 unit (one 0/1 label per "
            "row, from column 'kind'); it has 2.",
        ),
        (
            ANIMALS,
            {"units": 1, "loss": "mse"},
            "data.target",
            "table.csv row 1 (line 2), column 'kind': expected a number (the mse target), found "
            "'dog'.",
        ),
        (
            "a,kind,b\n1,2,3\n",
            {"units": 2, "loss": "mse"},
            "data.target",
            "a CSV gives one target column ('kind'), so the last layer needs 1 unit for mse; it "
            "has 2.",
        ),
        (
            ANIMALS,
            {"classes": ["cat", "dgo"]},
            "data.classes[1]",
            "class 'dgo' does not occur in column 'kind' of table.csv. Did you mean 'dog'? "
            "Classes found: bird, cat, dog.",
        ),
        (
            ANIMALS,
            {"classes": ["cat", "cat"]},
            "data.classes[1]",
            "lists 'cat' twice.",
        ),
        (
            ANIMALS,
            {"classes": "cat"},
            "data.classes",
            "expected a list of labels to keep such as [versicolor, virginica], found 'cat'.",
        ),
        (ANIMALS, {"classes": []}, "data.classes", "found a list."),
        (ANIMALS, {"classes": [True]}, "data.classes[0]", "expected a label, found true"),
        (ANIMALS, {"target": ["kind"]}, "data.target", "expected a column name, found a list."),
        (ANIMALS, {"target": ""}, "data.target", "expected a column name, found ''."),
        (
            ANIMALS,
            {"standardize": "yes please"},
            "data.standardize",
            "expected true or false, found 'yes please'.",
        ),
        (ANIMALS, {"shuffle": -1}, "data.shuffle", "expected a whole number ≥ 0, found -1."),
        (ANIMALS, {"shuffle": "often"}, "data.shuffle", "expected a whole number ≥ 0"),
        (ANIMALS, {"rows": 7}, "data.rows", "asks for 7 rows but table.csv has 6."),
        (
            ANIMALS,
            {"standardise": True},
            "data.standardise",
            "unknown key 'standardise'. Did you mean 'standardize'? Allowed here: path, rows, "
            "target, classes, standardize, shuffle.",
        ),
    ],
)
def test_bad_csv_options_are_errors_at_their_key(
    tmp_path: Path, text: str, options: dict, key: str, message: str
) -> None:
    error = _error(_csv_config(tmp_path, text, **options))
    assert error.key == key
    assert message in error.message


def test_a_csv_needs_a_target(tmp_path: Path) -> None:
    path = _csv_config(tmp_path, ANIMALS)
    path.write_text(path.read_text().replace("  target: kind\n", ""))
    error = _error(path)
    assert error.key == "data"
    assert error.message == "missing 'target': the column of table.csv that holds the labels."


@pytest.mark.parametrize("key", ["target", "classes"])
def test_target_and_classes_are_for_csv_files(tmp_path: Path, rng, key: str) -> None:
    path = _config(tmp_path, _batch(rng))
    path.write_text(path.read_text().replace("path: batch.npz", f"path: batch.npz\n  {key}: y"))
    error = _error(path)
    assert error.key == f"data.{key}"
    assert error.column == 3  # at the key itself
    assert error.message == (
        f"{key} is for CSV files; batch.npz is an .npz, whose y holds the labels."
    )


def test_missing_and_unreadable_csv_files(tmp_path: Path) -> None:
    error = _error(_csv_config(tmp_path, ANIMALS, path="data/nowhere.csv"))
    assert error.key == "data.path"
    assert re.search(r"data file .*nowhere\.csv not found\.", error.message)
    (tmp_path / "data" / "folder.csv").mkdir()
    error = _error(_csv_config(tmp_path, ANIMALS, path="data/folder.csv"))
    assert re.search(r"data file .*folder\.csv is a directory\.", error.message)


def test_the_cli_prints_csv_errors_as_one_paragraph(tmp_path: Path, runner) -> None:
    from backprop_check.cli import main

    path = _csv_config(tmp_path, b"height,kind,weight\n1,a,\xff\n")
    result = runner.invoke(main, ["run", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "table.csv is not UTF-8 text (byte 0xff on line 2)" in result.output
