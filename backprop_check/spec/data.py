"""Reading a batch (and optionally the parameters) from a file named in the config's ``data:``.

An ``.npz`` holds ``x`` (samples × inputs) and ``y`` (samples × outputs), and may hold the
parameters ``W1``…``WJ``, ``b1``…``bJ`` too: exactly what ``--save-arrays`` writes, so a saved run
can be checked again as it was.

A ``.csv`` has a header row; the ``target`` column holds the labels and every other column is a
numeric feature. Labels become ``y`` by the loss (:func:`csv_targets`): one-hot over the sorted
classes for categorical cross-entropy, 0/1 for binary cross-entropy, the number itself for mse.

:meth:`Dataset.prepared` then standardizes the features and shuffles the rows (classes taking
turns), before the config takes the first rows as the batch.

Problems with a file raise :class:`DataError`, which names the ``data:`` key to blame;
:meth:`Dataset.from_csv` and :meth:`Dataset.from_arrays` hand it to the caller's ``fail``, which
the config reader uses to build a located :class:`~backprop_check.errors.ConfigError`.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import difflib
import hashlib
import io
import math
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.losses import LOSSES

__all__ = [
    "DataError",
    "Dataset",
    "Table",
    "class_names",
    "csv_targets",
    "file_sha256",
    "find_target",
    "keep_classes",
    "read_csv",
    "read_npz",
    "shuffled_order",
    "standardized",
]

Array = np.ndarray
KeySuffix = tuple[str | int, ...]
# Builds the caller's exception from a message and the key under ``data:`` to blame.
Fail = Callable[[str, KeySuffix], Exception]

# Enough to show what went wrong without flooding one paragraph (a numeric column taken as
# classes has as many "classes" as rows).
_MAX_SHOWN = 8


class DataError(Exception):
    """A problem with a data file; ``key`` is the key path under ``data:`` to blame."""

    def __init__(self, message: str, key: KeySuffix = ("path",)) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


@dataclass(frozen=True, eq=False)
class Dataset:
    """A batch from a file, and the parameters when the file has them.

    ``classes`` names the labels behind ``y`` for a CSV read with a classification loss: the
    columns of the one-hot ``y`` for categorical cross-entropy, the labels 0 and 1 for binary.
    """

    path: Path
    x: Array
    y: Array
    weights: tuple[Array, ...] | None = None
    biases: tuple[Array, ...] | None = None
    sha256: str = ""
    classes: tuple[str, ...] = ()

    @classmethod
    def from_arrays(
        cls, path: Path, arrays: Mapping[str, Array], sizes: Sequence[int], sha256: str, fail: Fail
    ) -> Dataset:
        """x, y and (all or none of) W1…WJ, b1…bJ from an .npz's arrays.

        ``sizes`` is [input_size, units of layer 1, …, units of layer J].
        """
        with _reported(fail):
            return _npz_dataset(path, arrays, sizes, sha256)

    @classmethod
    def from_csv(
        cls,
        path: Path,
        *,
        target: str,
        classes: Sequence[str] | None,
        loss: str,
        sizes: Sequence[int],
        fail: Fail,
    ) -> Dataset:
        """x from every column but ``target``, y from ``target`` by the loss (:func:`csv_targets`).

        ``classes``, when given, keeps only the rows whose target is one of them.
        """
        with _reported(fail):
            return _csv_dataset(path, target, classes, loss, sizes)

    def prepared(self, *, standardize: bool = False, shuffle: int | None = None) -> Dataset:
        """Features standardized over all rows, then rows in the order seeded by ``shuffle``.

        When the labels are classes, the shuffle takes them in turns (see :func:`shuffled_order`).
        """
        x, y = self.x, self.y
        if standardize:
            x = standardized(x)
        if shuffle is not None:
            groups = np.unique(y, axis=0, return_inverse=True)[1].ravel() if self.classes else None
            order = shuffled_order(x.shape[0], shuffle, groups)
            x, y = x[order], y[order]
        return dataclasses.replace(self, x=x, y=y)


@contextlib.contextmanager
def _reported(fail: Fail) -> Iterator[None]:
    """Turn a DataError into the caller's error, built by ``fail(message, key)``."""
    try:
        yield
    except DataError as error:
        raise fail(error.message, error.key) from None


def _npz_dataset(
    path: Path, arrays: Mapping[str, Array], sizes: Sequence[int], sha256: str
) -> Dataset:
    def array(name: str, shape: tuple[int | None, ...]) -> Array:
        if name not in arrays:
            raise DataError(f"{path.name} has no array '{name}'.")
        return _checked_array(path.name, name, arrays[name], shape)

    x = array("x", (None, sizes[0]))
    y = array("y", (None, sizes[-1]))
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise DataError(
            f"{path.name}: x and y need the same, non-zero number of rows, found {x.shape[0]} "
            f"and {y.shape[0]}."
        )
    layers = range(1, len(sizes))
    names = [f"{kind}{j}" for j in layers for kind in ("W", "b")]
    present = [name for name in names if name in arrays]
    if not present:
        return Dataset(path=path, x=x, y=y, sha256=sha256)
    if len(present) != len(names):
        missing = ", ".join(name for name in names if name not in arrays)
        raise DataError(f"{path.name} has some parameters but not {missing}: give all or none.")
    return Dataset(
        path=path,
        x=x,
        y=y,
        weights=tuple(array(f"W{j}", (sizes[j], sizes[j - 1])) for j in layers),
        biases=tuple(array(f"b{j}", (sizes[j],)) for j in layers),
        sha256=sha256,
    )


def _csv_dataset(
    path: Path, target: str, classes: Sequence[str] | None, loss: str, sizes: Sequence[int]
) -> Dataset:
    table = read_csv(path)
    features = find_target(table, target)
    if len(features) != sizes[0]:
        raise DataError(
            f"{table.name} has {len(features)} feature columns ({_show(features)}: every column "
            f"but the target '{target}') but input_size is {sizes[0]}."
        )
    if classes is not None:
        table = keep_classes(table, target, classes)
    x = np.column_stack([table.floats(name) for name in features])
    y, names = csv_targets(table, target, loss, sizes[-1])
    return Dataset(path=path, x=x, y=y, sha256=file_sha256(path), classes=names)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_npz(path: Path, fail: Callable[[str], Exception]) -> dict[str, Array]:
    """The arrays of an .npz file; ``fail(message)`` builds the error to raise."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise fail(f"data file {path} not found.") from None
    except IsADirectoryError:
        raise fail(f"data file {path} is a directory.") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise fail(f"data file {path} is not a readable .npz archive ({error}).") from None


def _checked_array(file: str, name: str, found: Array, shape: tuple[int | None, ...]) -> Array:
    """``found`` as float64 if it is finite numbers of ``shape`` (None: any number of rows)."""
    if (
        found.dtype.kind not in "iuf"
        or found.ndim != len(shape)
        or any(
            want is not None and have != want for have, want in zip(found.shape, shape, strict=True)
        )
    ):
        expected = " × ".join("samples" if extent is None else str(extent) for extent in shape)
        raise DataError(
            f"{file}: array '{name}' should be numbers of shape {expected}, "
            f"found {found.dtype} of shape {' × '.join(map(str, found.shape)) or 'scalar'}."
        )
    found = found.astype(np.float64)
    if not np.all(np.isfinite(found)):
        raise DataError(f"{file}: array '{name}' holds NaN or infinity.")
    return found


# ----------------------------------------------------------------------------- CSV


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

    def floats(self, name: str, key: KeySuffix = ("path",), what: str = "a number") -> Array:
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
    except FileNotFoundError:
        raise DataError(f"data file {path} not found.") from None
    except IsADirectoryError:
        raise DataError(f"data file {path} is a directory.") from None
    except OSError as error:
        raise DataError(f"data file {path} cannot be read ({error.strerror}).") from None
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
            ("target",),
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
                f"Classes found: {_show(found)}.",
                ("classes", index),
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
    # A loss of the config's own formulas takes real-valued targets.
    labels = LOSSES[loss].labels if loss in LOSSES else "real"
    if labels == "one-hot":
        return _one_hot(table, target, units)
    if labels == "binary":
        return _binary(table, target, units)
    if units != 1:
        raise DataError(
            f"a CSV gives one target column ('{target}'), so the last layer needs 1 unit for "
            f"{loss}; it has {units}.",
            ("target",),
        )
    return table.floats(target, ("target",), f"a number (the {loss} target)")[:, None], ()


def _one_hot(table: Table, target: str, units: int) -> tuple[Array, tuple[str, ...]]:
    labels = table.column(target)
    classes = class_names(labels)
    if len(classes) != units:
        fix = " (keep fewer with data.classes)" if len(classes) > units else ""
        raise DataError(
            f"categorical cross-entropy needs one output unit per class: column '{target}' of "
            f"{table.name} has {len(classes)} classes ({_show(classes)}) but the last layer has "
            f"{units} units{fix}.",
            ("target",),
        )
    index = {label: column for column, label in enumerate(classes)}
    return np.eye(units)[[index[label] for label in labels]], classes


def _binary(table: Table, target: str, units: int) -> tuple[Array, tuple[str, ...]]:
    if units != 1:
        raise DataError(
            f"binary cross-entropy on a CSV needs a last layer with 1 unit (one 0/1 label per "
            f"row, from column '{target}'); it has {units}.",
            ("target",),
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
            f"has {len(classes)} ({_show(classes)}): {fix}.",
            ("target",),
        )
    return np.array([[float(label == classes[1])] for label in labels]), classes


def _finite_number(cell: str) -> float | None:
    try:
        number = float(cell)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _show(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_SHOWN])
    return shown + (f", … ({len(names) - _MAX_SHOWN} more)" if len(names) > _MAX_SHOWN else "")


# ----------------------------------------------------------------------------- preparing a batch


def standardized(x: Array) -> Array:
    """Each column scaled to mean 0 and standard deviation 1 over all rows."""
    std = x.std(axis=0)
    # A constant column has nothing to scale: centre it and leave it at 0, do not divide by 0.
    return (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)


def shuffled_order(rows: int, seed: int, groups: Array | None = None) -> Array:
    """A permutation of ``range(rows)``, the same for the same seed on every machine.

    With ``groups`` (a class per row), each class is shuffled and the classes take turns, so
    any first rows hold the classes in near-equal numbers: a sorted file's first rows are one
    class, and a plain shuffle of a few rows can still miss a class.
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        return rng.permutation(rows)
    members = [
        rng.permutation(np.flatnonzero(groups == group))
        for group in rng.permutation(np.unique(groups))
    ]
    longest = max(len(member) for member in members)
    return np.array(
        [member[turn] for turn in range(longest) for member in members if turn < len(member)]
    )
