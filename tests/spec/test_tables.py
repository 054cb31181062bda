"""CSV data files: labelled rows, labels by loss, classes, and errors that point into the file."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

from backprop_check import check, load_config
from backprop_check.judge.checker import build_problem

from ..helpers import ANIMALS, ROOT, bytes_read, config_error, csv_config

IRIS = ROOT / "configs" / "data" / "iris.csv"
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


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


def test_cce_labels_become_one_hot_over_the_sorted_classes(tmp_path: Path) -> None:
    config = load_config(csv_config(tmp_path, ANIMALS, rows=6))
    assert config.data.classes == ("bird", "cat", "dog")
    np.testing.assert_array_equal(config.data.x[:, 0], [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(config.data.x[:, 1], [10, 4, 0.5, 5, 20, 0.25])
    np.testing.assert_array_equal(config.data.y.argmax(axis=1), [2, 1, 0, 1, 2, 0])
    np.testing.assert_array_equal(config.data.y.sum(axis=1), 1)
    assert config.batch_size == 6
    assert check(config).passed


def test_numeric_classes_sort_by_value(tmp_path: Path) -> None:
    text = "a,kind,b\n" + "".join(f"{i},{label},0\n" for i, label in enumerate([10, 2, 1, 2]))
    config = load_config(csv_config(tmp_path, text))
    assert config.data.classes == ("1", "2", "10")
    np.testing.assert_array_equal(config.data.y.argmax(axis=1), [2, 1, 0, 1])


def test_the_default_batch_is_up_to_8_rows(tmp_path: Path) -> None:
    text = "a,kind,b\n" + "".join(f"{i},{'xyz'[i % 3]},{-i}\n" for i in range(20))
    assert load_config(csv_config(tmp_path, text)).batch_size == 8


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
    config = load_config(csv_config(tmp_path, text, units=1, loss="binary_crossentropy"))
    np.testing.assert_array_equal(config.data.y, np.array(expected)[:, None])
    assert config.data.classes == classes
    assert check(config).passed


def test_mse_takes_the_numeric_target_as_y(tmp_path: Path) -> None:
    text = "a,kind,b\n1,0.5,2\n3,-1.5,4\n5,2e-1,6\n"
    config = load_config(csv_config(tmp_path, text, units=1, loss="mse"))
    np.testing.assert_array_equal(config.data.y, [[0.5], [-1.5], [0.2]])
    np.testing.assert_array_equal(config.data.x, [[1, 2], [3, 4], [5, 6]])
    assert config.data.classes == ()
    assert check(config).passed


def test_cells_may_be_quoted_and_padded_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    text = '\ufeff height , kind ,"weight"\n\n1, dog ,"10"\r\n\n2,cat,4\n3,bird,5\n'
    config = load_config(csv_config(tmp_path, text))
    np.testing.assert_array_equal(config.data.x, [[1, 10], [2, 4], [3, 5]])
    assert config.data.classes == ("bird", "cat", "dog")


def test_classes_keeps_only_the_listed_labels(tmp_path: Path) -> None:
    path = csv_config(
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
    config = load_config(csv_config(tmp_path, text, units=2, classes=[1, 2]))
    assert config.data.classes == ("1", "2")
    np.testing.assert_array_equal(config.data.x[:, 0], [2, 3, 4])


def test_a_data_error_names_the_config_line_the_key_and_the_file(tmp_path: Path) -> None:
    path = csv_config(tmp_path, "height,kinds,weight\n1,a,2\n")
    assert str(config_error(path)) == (
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
    error = config_error(csv_config(tmp_path, text))
    assert error.key == "data.path"
    assert message in error.message


def test_row_numbers_are_the_files_even_after_classes_filtered(tmp_path: Path) -> None:
    text = "height,kind,weight\n1,a,2\n2,b,3\n3,a,x\n"
    error = config_error(csv_config(tmp_path, text, units=1, loss="mse", classes=["a"]))
    assert error.key == "data.path"
    assert "table.csv row 3 (line 4), column 'weight': expected a number, found 'x'." in str(error)


def test_missing_and_unreadable_csv_files(tmp_path: Path) -> None:
    error = config_error(csv_config(tmp_path, ANIMALS, path="data/nowhere.csv"))
    assert error.key == "data.path"
    assert re.search(r"data file .*nowhere\.csv not found\.", error.message)
    (tmp_path / "data" / "folder.csv").mkdir()
    error = config_error(csv_config(tmp_path, ANIMALS, path="data/folder.csv"))
    assert re.search(r"data file .*folder\.csv is a directory\.", error.message)


def test_the_cli_prints_csv_errors_as_one_paragraph(tmp_path: Path, runner) -> None:
    from backprop_check.cli import main

    path = csv_config(tmp_path, b"height,kind,weight\n1,a,\xff\n")
    result = runner.invoke(main, ["run", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "table.csv is not UTF-8 text (byte 0xff on line 2)" in result.output


# --- large files: read only as far as the batch needs

LARGE = 300 * 2**20


def _large_csv(tmp_path: Path, text: str, size: int = LARGE) -> Path:
    """``text`` followed by NUL bytes up to ``size``: a sparse file, and a binary one if anything
    after ``text`` were parsed."""
    path = tmp_path / "data" / "table.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.truncate(path, size)
    return path


def test_a_300_mb_csv_is_read_only_as_far_as_its_rows_used(tmp_path: Path) -> None:
    head = "a,kind,b\n" + "".join(f"{i},{i / 10},{-i}\n" for i in range(8))
    _large_csv(tmp_path, head)
    config_path = csv_config(tmp_path, None, units=1, loss="mse")
    with bytes_read() as count:
        config = load_config(config_path)
    assert count[0] < 2**20, f"read {count[0]:,} bytes of a {LARGE:,}-byte file"
    assert config.batch_size == 8
    np.testing.assert_array_equal(config.data.x[:, 0], range(8))
    # What identifies the data is what was read: the header and the rows used.
    assert config.data.sha256 == hashlib.sha256(head.encode()).hexdigest()
    assert check(config).passed


def test_a_large_csv_counts_only_the_rows_of_the_classes_kept(tmp_path: Path) -> None:
    rows = "".join(f"{i},{'abc'[i % 3]},{i}\n" for i in range(30))
    _large_csv(tmp_path, "a,kind,b\n" + rows)
    config = load_config(csv_config(tmp_path, None, units=2, classes=["c", "a"], rows=4))
    assert config.data.classes == ("a", "c")
    np.testing.assert_array_equal(config.data.x[:, 0], [0, 2, 3, 5])
    np.testing.assert_array_equal(config.data.y.argmax(axis=1), [0, 1, 0, 1])


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"standardize": True, "units": 1, "loss": "mse"}, "for standardize"),
        ({"shuffle": True, "units": 1, "loss": "mse"}, "for shuffle"),
        ({}, "to find the classes (list them in data.classes"),
    ],
)
def test_a_large_csv_that_is_needed_whole_is_refused_unread(
    tmp_path: Path, options: dict, why: str
) -> None:
    _large_csv(tmp_path, "a,kind,b\n1,x,2\n")
    with bytes_read() as count:
        error = config_error(csv_config(tmp_path, None, **options))
    assert count[0] < 2**20
    assert error.key == "data.path"
    assert error.message.startswith(
        "table.csv is 300.0 MiB; bpcheck reads a CSV whole only up to 16 MiB, and every row is "
        f"needed {why}"
    )


def test_reading_a_large_csv_stops_at_16_mib(tmp_path: Path) -> None:
    # One line of 17 MiB: the reader stops at 16 MiB, before the line is parsed.
    _large_csv(tmp_path, "a,kind,b\n1,x," + "9" * (17 * 2**20) + "\n", size=18 * 2**20)
    with bytes_read() as count:
        error = config_error(csv_config(tmp_path, None, units=1, loss="mse"))
    assert count[0] < 17 * 2**20
    assert error.message == (
        "table.csv: the rows the batch needs are not within its first 16 MiB, the most of a CSV "
        "bpcheck reads."
    )
