"""Labels from a CSV's target column, by the loss: one-hot over the sorted classes for categorical
cross-entropy, 0/1 for binary cross-entropy, the number itself for mse.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np

from ..core.losses import LOSSES
from ..errors import DataError, quote_input
from .tables import Table, finite_number, show

__all__ = ["class_names", "csv_targets", "find_target", "keep_classes"]

Array = np.ndarray


def find_target(table: Table, target: str) -> list[str]:
    """The feature columns: every column but ``target``, which must exist."""
    if target not in table.header:
        close = difflib.get_close_matches(target, table.header, n=1, cutoff=0.6)
        hint = f" Did you mean '{quote_input(close[0])}'?" if close else ""
        raise DataError(
            f"{table.name} has no column '{quote_input(target)}'.{hint} "
            f"Columns: {show(table.header)}.",
            ("data", "target"),
        )
    return [name for name in table.header if name != target]


def keep_classes(table: Table, target: str, wanted: Sequence[str]) -> Table:
    """Only the rows whose target is one of ``wanted``. Each wanted class must occur in a file
    read whole; of a large file only the beginning was read, which may hold fewer classes."""
    labels = table.column(target)
    present = set(labels)
    for index, label in enumerate(wanted):
        if label not in present and table.complete:
            found = class_names(labels)
            close = difflib.get_close_matches(label, found, n=1, cutoff=0.6)
            hint = f" Did you mean '{quote_input(close[0])}'?" if close else ""
            raise DataError(
                f"class '{quote_input(label)}' does not occur in column '{quote_input(target)}' "
                f"of {table.name}.{hint} Classes found: {show(found)}.",
                ("data", "classes", index),
            )
    return table.keep([label in wanted for label in labels])


def class_names(labels: Sequence[str]) -> tuple[str, ...]:
    """The distinct labels, sorted: by value when all are numbers (so 2 before 10), else as text."""
    distinct = set(labels)
    if all(finite_number(label) is not None for label in distinct):
        return tuple(sorted(distinct, key=lambda label: (finite_number(label), label)))
    return tuple(sorted(distinct))


def label_kind(loss: str) -> str:
    """What targets ``loss`` takes: a built-in loss says; a loss of the config's formulas, reals."""
    return LOSSES[loss].labels if loss in LOSSES else "real"


def csv_targets(
    table: Table, target: str, loss: str, units: int, classes: Sequence[str] | None = None
) -> tuple[Array, tuple[str, ...]]:
    """``y`` (samples × units) from the target column, and the class names behind it if any.

    ``classes`` are the labels kept (``data.classes``); without them, the labels in the table.
    """
    known = None if classes is None else class_names(classes)
    kind = label_kind(loss)
    if kind == "one-hot":
        return _one_hot(table, target, units, known)
    if kind == "binary":
        return _binary(table, target, units, known)
    if units != 1:
        raise DataError(
            f"a CSV gives one target column ('{quote_input(target)}'), so the last layer needs "
            f"1 unit for "
            f"{loss}; it has {units}.",
            ("data", "target"),
        )
    return table.floats(target, ("data", "target"), f"a number (the {loss} target)")[:, None], ()


def _one_hot(
    table: Table, target: str, units: int, known: tuple[str, ...] | None
) -> tuple[Array, tuple[str, ...]]:
    labels = table.column(target)
    classes = known or class_names(labels)
    if len(classes) != units:
        fix = " (keep fewer with data.classes)" if len(classes) > units else ""
        raise DataError(
            f"categorical cross-entropy needs one output unit per class: column "
            f"'{quote_input(target)}' of "
            f"{table.name} has {len(classes)} classes ({show(classes)}) but the last layer has "
            f"{units} units{fix}.",
            ("data", "target"),
        )
    index = {label: column for column, label in enumerate(classes)}
    return np.eye(units)[[index[label] for label in labels]], classes


def _binary(
    table: Table, target: str, units: int, known: tuple[str, ...] | None
) -> tuple[Array, tuple[str, ...]]:
    if units != 1:
        raise DataError(
            f"binary cross-entropy on a CSV needs a last layer with 1 unit (one 0/1 label per "
            f"row, from column '{quote_input(target)}'); it has {units}.",
            ("data", "target"),
        )
    labels = table.column(target)
    numbers = [finite_number(label) for label in labels]
    # Numeric labels already in [0, 1] (0/1, or probabilities) mean what they say.
    if all(number is not None and 0 <= number <= 1 for number in numbers):
        return np.array(numbers, dtype=np.float64)[:, None], ()
    classes = known or class_names(labels)
    if len(classes) != 2:
        if len(classes) > 2:
            fix = (
                f"keep two with data.classes, e.g. classes: [{quote_input(classes[0])}, "
                f"{quote_input(classes[1])}]"
            )
        else:
            fix = "the file needs rows of a second class"
        raise DataError(
            f"binary cross-entropy needs exactly two classes, column '{quote_input(target)}' of "
            f"{table.name} "
            f"has {len(classes)} ({show(classes)}): {fix}.",
            ("data", "target"),
        )
    return np.array([[float(label == classes[1])] for label in labels]), classes
