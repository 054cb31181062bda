"""The `data:` section: its keys and values, each refused at its own key."""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop_check import ConfigError, load_config

from ..helpers import (
    ANIMALS,
    config_error,
    csv_config,
    npz_config,
    random_batch,
    small_config,
)


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
    error = config_error(csv_config(tmp_path, text, **options))
    assert error.key == key
    assert message in error.message


def test_a_csv_needs_a_target(tmp_path: Path) -> None:
    path = csv_config(tmp_path, ANIMALS)
    path.write_text(path.read_text().replace("  target: kind\n", ""))
    error = config_error(path)
    assert error.key == "data"
    assert error.message == "missing 'target': the column of table.csv that holds the labels."


@pytest.mark.parametrize("key", ["target", "classes"])
def test_target_and_classes_are_for_csv_files(tmp_path: Path, rng, key: str) -> None:
    path = npz_config(tmp_path, random_batch(rng))
    path.write_text(path.read_text().replace("path: batch.npz", f"path: batch.npz\n  {key}: y"))
    error = config_error(path)
    assert error.key == f"data.{key}"
    assert error.column == 3  # at the key itself
    assert error.message == (
        f"{key} is for CSV files; batch.npz is an .npz, whose y holds the labels."
    )
