"""Validating a config's ``data:`` section and reading the file it names.

A CSV also takes ``target`` (its label column) and ``classes`` (the labels to keep); any file
takes ``standardize`` (features to mean 0, std 1 over the rows read), ``shuffle`` (the rows in a
seeded random order, so the first ``rows`` mix the classes of a sorted file) and ``rows``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BackpropCheckError, DataError, KeyPath, quote_input
from .data import Dataset
from .labels import label_kind
from .schema import DATA_KEYS, MAX_SEED, check_keys, describe, int_at_least, require_mapping

__all__ = ["validate_data"]


def validate_data(
    value: Any, folder: Path, sizes: Sequence[int], loss: str, *, batch_size: int
) -> Dataset:
    """The batch (and any parameters) from the file ``data.path`` names, relative to ``folder``.

    ``sizes`` is [input_size, units of layer 1, …, units of layer J]; ``batch_size`` the rows
    the batch takes unless ``data.rows`` says otherwise.
    """
    spec = require_mapping(value, ("data",), "a mapping with path (and rows)")
    check_keys(spec, DATA_KEYS, ("data",))
    path = folder / _file_name(spec)
    is_csv = path.suffix.lower() == ".csv"
    if not is_csv and path.suffix.lower() != ".npz":
        raise BackpropCheckError(
            f"expected an .npz file with x and y, or a .csv file with a header row, "
            f"found '{quote_input(path.name)}'.",
            key_path=("data", "path"),
        )
    if "rows" in spec:
        int_at_least(spec["rows"], 1, ("data", "rows"))
    for name in ("target", "classes"):
        if name in spec and not is_csv:
            raise BackpropCheckError(
                f"{name} is for CSV files; {quote_input(path.name)} is an .npz, whose y holds "
                "the labels.",
                key_path=("data", name),
                at_key=True,
            )
    if is_csv and "target" not in spec:
        raise BackpropCheckError(
            f"missing 'target': the column of {quote_input(path.name)} that holds the labels.",
            key_path=("data",),
        )
    target = _text(spec["target"], ("data", "target"), "a column name") if is_csv else ""
    classes = _kept_classes(spec["classes"]) if "classes" in spec else None
    standardize = spec.get("standardize", False)
    if not isinstance(standardize, bool):
        raise BackpropCheckError(
            f"expected true or false, found {describe(standardize)}.",
            key_path=("data", "standardize"),
        )
    seed = _shuffle_seed(spec.get("shuffle", False))
    if is_csv:
        every_row_for = _needs_every_row(standardize, seed, loss, classes)
        dataset = Dataset.from_csv(
            path,
            target=target,
            classes=classes,
            loss=loss,
            sizes=sizes,
            rows=None if every_row_for else spec.get("rows", batch_size),
            every_row_for=every_row_for,
        )
    else:
        dataset = Dataset.from_npz(path, sizes)
    _check_labels(dataset.y, loss, quote_input(path.name))
    return dataset.prepared(standardize=standardize, shuffle=seed)


def _needs_every_row(
    standardize: bool, shuffle: int | None, loss: str, classes: list[str] | None
) -> str:
    """Why every row of a CSV is needed, if it is: words to end a sentence, else ''."""
    if standardize:
        return " for standardize (the mean and spread of every row)"
    if shuffle is not None:
        return " for shuffle (an order of every row)"
    if label_kind(loss) != "real" and classes is None:
        return " to find the classes (list them in data.classes to read only the rows used)"
    return ""


def _file_name(spec: Any) -> str:
    if "path" not in spec:
        raise BackpropCheckError(
            "missing 'path': the .npz file holding x and y, or a .csv file with a header row.",
            key_path=("data",),
        )
    name = spec["path"]
    if not isinstance(name, str) or not name.strip():
        raise BackpropCheckError(
            f"expected a file name, found {describe(name)}.", key_path=("data", "path")
        )
    if "\x00" in name:
        raise BackpropCheckError(
            f"the file name holds a NUL character ({describe(name)}).", key_path=("data", "path")
        )
    return name


def _shuffle_seed(shuffle: Any) -> int | None:
    # A number seeds the order, to try another batch of the same file; true means seed 0.
    seed = None if shuffle is False else 0 if shuffle is True else shuffle
    if seed is not None:
        seed = int_at_least(seed, 0, ("data", "shuffle"), maximum=MAX_SEED)
    return seed


def _text(item: Any, key: KeyPath, what: str) -> str:
    # YAML reads a header such as 1 or a class such as 0 as a number; the file has text.
    if isinstance(item, bool) or not isinstance(item, (str, int, float)) or item == "":
        raise BackpropCheckError(f"expected {what}, found {describe(item)}.", key_path=key)
    return str(item).strip()


def _kept_classes(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise BackpropCheckError(
            "expected a list of labels to keep such as [versicolor, virginica], "
            f"found {describe(value)}.",
            key_path=("data", "classes"),
        )
    labels = [_text(item, ("data", "classes", i), "a label") for i, item in enumerate(value)]
    for index, label in enumerate(labels):
        if labels.index(label) != index:
            raise BackpropCheckError(
                f"lists '{quote_input(label)}' twice.", key_path=("data", "classes", index)
            )
    return labels


def _check_labels(y: np.ndarray, loss: str, file: str) -> None:
    """Labels must fit the loss: one-hot or distributions for CCE, probabilities for BCE."""
    kind = label_kind(loss)
    if kind == "binary" and (np.any(y < 0) or np.any(y > 1)):
        raise DataError(f"{file}: binary cross-entropy needs labels y in [0, 1].")
    if kind == "one-hot" and (
        np.any(y < 0) or not np.allclose(y.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    ):
        raise DataError(
            f"{file}: categorical cross-entropy needs label rows that are ≥ 0 and sum to 1 "
            "(one-hot)."
        )
