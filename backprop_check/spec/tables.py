"""Reading a CSV file's table: a header row, then one sample per row.

The ``target`` column holds the labels and every other column is a numeric feature. Labels
become ``y`` by the loss (:func:`csv_targets`): one-hot over the sorted classes for categorical
cross-entropy, 0/1 for binary cross-entropy, the number itself for mse. Every problem is a
:class:`~backprop_check.errors.DataError` naming the ``data:`` key to blame and, in its
message, the row and line of the file.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError, KeyPath, file_problem

__all__ = [
    "Table",
    "class_names",
    "csv_targets",
    "find_target",
    "keep_classes",
    "read_csv",
    "show",
]

Array = np.ndarray

# Enough to show what went wrong without flooding one paragraph (a numeric column taken as
# classes has as many "classes" as rows).
_MAX_SHOWN = 8


@dataclass(frozen=True)
class Table:
    """A CSV file's header and data rows (cells stripped of spaces).

    ``row_numbers[i]`` and ``lines[i]`` say where ``rows[i]`` is in the file (data row, text
    line), so an error still points into the file after rows were filtered out.
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    row_numbers: tuple[int, ...]

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]

    def floats(self, name: str, key: KeyPath = ("data", "path"), what: str = "a number") -> Array:
        """The column as floats; the first cell that is not a finite number is an error."""
        values = []
        cells = zip(self.row_numbers, self.lines, self.column(name), strict=True)
        for row, line, cell in cells:
            number = _finite_number(cell)
            if number is None:
                found = f"'{cell}'" if cell else "an empty cell"
                raise DataError(
                    f"{self.name} row {row} (line {line}), column '{name}': expected {what}, "
                    f"found {found}.",
                    key,
                )
            values.append(number)
        return np.array(values, dtype=np.float64)

    def keep(self, mask: Sequence[bool]) -> Table:
        """The rows where ``mask`` is true."""
        places = zip(self.rows, self.lines, self.row_numbers, strict=True)
        kept = [place for place, wanted in zip(places, mask, strict=True) if wanted]
        rows, lines, row_numbers = zip(*kept, strict=True) if kept else ((), (), ())
        return Table(self.name, self.header, tuple(rows), tuple(lines), tuple(row_numbers))


def read_csv(path: Path) -> Table:
    """The header and rows of a comma-separated UTF-8 file; anything else is a DataError."""
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise DataError(f"{path.name} is empty, expected a header row such as x1,x2,label.")
        header_cells = _header(path.name, header)
        rows, lines = [], []
        for row in reader:
            # Blank lines carry no sample; a trailing one is common.
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header_cells):
                raise DataError(
                    f"{path.name} line {reader.line_num} has {len(row)} cells where the header "
                    f"has {len(header_cells)}; every row needs one cell per column."
                )
            rows.append(tuple(cell.strip() for cell in row))
            lines.append(reader.line_num)
    except csv.Error as error:
        raise DataError(
            f"{path.name} line {reader.line_num} is not valid CSV ({error}); expected "
            "comma-separated cells with a header row."
        ) from None
    if not rows:
        raise DataError(f"{path.name} has a header but no data rows.")
    numbers = tuple(range(1, len(rows) + 1))
    return Table(path.name, header_cells, tuple(rows), tuple(lines), numbers)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"data file {path} {file_problem(error)}.") from None
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise DataError(
            f"{path.name} is a binary file (a NUL byte on line {line}), expected a CSV text file "
            "with a header row."
        )
    try:
        # utf-8-sig: spreadsheets often start UTF-8 files with a byte-order mark.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            f"{path.name} is not UTF-8 text (byte 0x{raw[error.start]:02x} on line {line}), "
            "expected a CSV text file with a header row."
        ) from None


def _header(name: str, cells: list[str]) -> tuple[str, ...]:
    header = tuple(cell.strip() for cell in cells)
    if len(header) == 1:
        raise DataError(
            f"{name} has a single column '{header[0]}' on line 1, expected comma-separated "
            "columns: the features and the target."
        )
    for index, cell in enumerate(header, 1):
        if not cell:
            raise DataError(f"{name} line 1: column {index} of the header has no name.")
        if header.index(cell) != index - 1:
            raise DataError(f"{name} line 1: column '{cell}' appears twice in the header.")
    return header


def find_target(table: Table, target: str) -> list[str]:
    """The feature columns: every column but ``target``, which must exist."""
    if target not in table.header:
        close = difflib.get_close_matches(target, table.header, n=1, cutoff=0.6)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise DataError(
            f"{table.name} has no column '{target}'.{hint} Columns: {', '.join(table.header)}.",
            ("data", "target"),
        )
    return [name for name in table.header if name != target]


def keep_classes(table: Table, target: str, wanted: Sequence[str]) -> Table:
    """Only the rows whose target is one of ``wanted``; each wanted class must occur."""
    labels = table.column(target)
    present = set(labels)
    for index, label in enumerate(wanted):
        if label not in present:
            found = class_names(labels)
            close = difflib.get_close_matches(label, found, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise DataError(
                f"class '{label}' does not occur in column '{target}' of {table.name}.{hint} "
                f"Classes found: {show(found)}.",
                ("data", "classes", index),
            )
    return table.keep([label in wanted for label in labels])


def class_names(labels: Sequence[str]) -> tuple[str, ...]:
    """The distinct labels, sorted: by value when all are numbers (so 2 before 10), else as text."""
    distinct = set(labels)
    if all(_finite_number(label) is not None for label in distinct):
        return tuple(sorted(distinct, key=lambda label: (_finite_number(label), label)))
    return tuple(sorted(distinct))


def csv_targets(table: Table, target: str, loss: str, units: int) -> tuple[Array, tuple[str, ...]]:
    """``y`` (samples × units) from the target column, and the class names behind it if any."""
    if loss == "categorical_crossentropy":
        return _one_hot(table, target, units)
    if loss == "binary_crossentropy":
        return _binary(table, target, units)
    if units != 1:
        raise DataError(
            f"a CSV gives one target column ('{target}'), so the last layer needs 1 unit for "
            f"{loss}; it has {units}.",
            ("data", "target"),
        )
    return table.floats(target, ("data", "target"), f"a number (the {loss} target)")[:, None], ()


def _one_hot(table: Table, target: str, units: int) -> tuple[Array, tuple[str, ...]]:
    labels = table.column(target)
    classes = class_names(labels)
    if len(classes) != units:
        fix = " (keep fewer with data.classes)" if len(classes) > units else ""
        raise DataError(
            f"categorical cross-entropy needs one output unit per class: column '{target}' of "
            f"{table.name} has {len(classes)} classes ({show(classes)}) but the last layer has "
            f"{units} units{fix}.",
            ("data", "target"),
        )
    index = {label: column for column, label in enumerate(classes)}
    return np.eye(units)[[index[label] for label in labels]], classes


def _binary(table: Table, target: str, units: int) -> tuple[Array, tuple[str, ...]]:
    if units != 1:
        raise DataError(
            f"binary cross-entropy on a CSV needs a last layer with 1 unit (one 0/1 label per "
            f"row, from column '{target}'); it has {units}.",
            ("data", "target"),
        )
    labels = table.column(target)
    numbers = [_finite_number(label) for label in labels]
    # Numeric labels already in [0, 1] (0/1, or probabilities) mean what they say.
    if all(number is not None and 0 <= number <= 1 for number in numbers):
        return np.array(numbers, dtype=np.float64)[:, None], ()
    classes = class_names(labels)
    if len(classes) != 2:
        if len(classes) > 2:
            fix = f"keep two with data.classes, e.g. classes: [{classes[0]}, {classes[1]}]"
        else:
            fix = "the file needs rows of a second class"
        raise DataError(
            f"binary cross-entropy needs exactly two classes, column '{target}' of {table.name} "
            f"has {len(classes)} ({show(classes)}): {fix}.",
            ("data", "target"),
        )
    return np.array([[float(label == classes[1])] for label in labels]), classes


def _finite_number(cell: str) -> float | None:
    try:
        number = float(cell)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def show(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_SHOWN])
    return shown + (f", … ({len(names) - _MAX_SHOWN} more)" if len(names) > _MAX_SHOWN else "")
