"""Reading a CSV file's table: a header row, then one sample per row.

A file of up to :data:`WHOLE_CSV_BYTES` is read whole, and every row of it checked. A larger one
is read only as far as the batch needs (``stop_after`` rows, counting those of the ``classes``
kept), never more than :data:`WHOLE_CSV_BYTES` of it; rows after those are not parsed. Every
problem is a :class:`~backprop_check.errors.DataError` naming, in its message, the row and line
of the file.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import DataError, KeyPath, file_problem, quote_input
from .files import open_regular, shown_path

__all__ = ["WHOLE_CSV_BYTES", "Table", "finite_number", "read_csv", "show"]

Array = np.ndarray

# The most of a CSV bpcheck reads: all of a file this size, the beginning of a larger one.
WHOLE_CSV_BYTES = 16 * 2**20
# Enough to show what went wrong without flooding one paragraph (a numeric column taken as
# classes has as many "classes" as rows), each name quoted this short.
_MAX_SHOWN = 8
_SHOWN_NAME = 20


@dataclass(frozen=True)
class Table:
    """A CSV file's header and data rows (cells stripped of spaces).

    ``row_numbers[i]`` and ``lines[i]`` say where ``rows[i]`` is in the file (data row, text
    line), so an error still points into the file after rows were filtered out. ``complete`` is
    false when reading stopped before the end of the file; ``sha256`` is the hash of the bytes
    read.
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    row_numbers: tuple[int, ...]
    complete: bool = True
    sha256: str = ""

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]

    def floats(self, name: str, key: KeyPath = ("data", "path"), what: str = "a number") -> Array:
        """The column as floats; the first cell that is not a finite number is an error."""
        values = []
        cells = zip(self.row_numbers, self.lines, self.column(name), strict=True)
        for row, line, cell in cells:
            number = finite_number(cell)
            if number is None:
                found = f"'{quote_input(cell)}'" if cell else "an empty cell"
                raise DataError(
                    f"{self.name} row {row} (line {line}), column '{quote_input(name)}': "
                    f"expected {what}, found {found}.",
                    key,
                )
            values.append(number)
        return np.array(values, dtype=np.float64)

    def keep(self, mask: Sequence[bool]) -> Table:
        """The rows where ``mask`` is true."""
        places = zip(self.rows, self.lines, self.row_numbers, strict=True)
        kept = [place for place, wanted in zip(places, mask, strict=True) if wanted]
        rows, lines, row_numbers = zip(*kept, strict=True) if kept else ((), (), ())
        return Table(
            self.name,
            self.header,
            tuple(rows),
            tuple(lines),
            tuple(row_numbers),
            self.complete,
            self.sha256,
        )


def read_csv(
    path: Path,
    *,
    stop_after: int | None = None,
    target: str = "",
    classes: Sequence[str] | None = None,
    every_row_for: str = "",
) -> Table:
    """The header and rows of a comma-separated UTF-8 file; anything else is a DataError.

    A file larger than :data:`WHOLE_CSV_BYTES` is read until ``stop_after`` rows whose
    ``target`` is one of ``classes`` (any, without classes) are in; without ``stop_after`` it is
    refused, the message saying it is needed whole ``every_row_for`` something ("for standardize").
    """
    name = quote_input(path.name)
    try:
        with open_regular(path) as handle:
            size = _size(handle)
            if size <= WHOLE_CSV_BYTES:
                source: _WholeFile | _Beginning = _WholeFile(handle.read(), name)
                stop_after = None
            elif stop_after is None:
                raise DataError(
                    f"{name} is {size / 2**20:.1f} MiB; bpcheck reads a CSV whole only up to "
                    f"{WHOLE_CSV_BYTES // 2**20} MiB, and every row is needed{every_row_for}."
                )
            else:
                source = _Beginning(handle, name)
            return _parse(source, name, _RowCounter(stop_after, target, classes))
    except OSError as error:
        raise DataError(f"data file {shown_path(path)} {file_problem(error)}.") from None


def _size(handle: BinaryIO) -> int:
    return os.fstat(handle.fileno()).st_size


class _RowCounter:
    """Says when enough rows are in: ``stop_after`` rows whose target is one of ``classes``."""

    def __init__(self, stop_after: int | None, target: str, classes: Sequence[str] | None):
        self.stop_after = stop_after
        self.target = target
        self.classes = None if classes is None else set(classes)
        self.count = 0
        self.index: int | None = None

    def start(self, header: tuple[str, ...]) -> None:
        self.index = header.index(self.target) if self.target in header else None

    def enough(self, row: tuple[str, ...]) -> bool:
        if self.classes is None or (self.index is not None and row[self.index] in self.classes):
            self.count += 1
        return self.stop_after is not None and self.count >= self.stop_after


class _WholeFile:
    """The lines of a file read whole, checked for NUL bytes and UTF-8 before any is parsed."""

    def __init__(self, raw: bytes, name: str) -> None:
        if b"\0" in raw:
            line = raw[: raw.index(b"\0")].count(b"\n") + 1
            raise DataError(_binary(name, line))
        try:
            # utf-8-sig: spreadsheets often start UTF-8 files with a byte-order mark.
            self.text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            raise DataError(_not_utf8(name, raw[error.start], line)) from None
        self.hash = hashlib.sha256(raw)
        self.complete = True

    def lines(self) -> Iterator[str]:
        return iter(self.text.splitlines(keepends=True))


class _Beginning:
    """The lines of a large file, read one at a time, each checked as it is read, and never
    more than WHOLE_CSV_BYTES in all."""

    def __init__(self, handle: BinaryIO, name: str) -> None:
        self.handle = handle
        self.name = name
        self.hash = hashlib.sha256()
        self.read = 0
        self.complete = False

    def lines(self) -> Iterator[str]:
        number = 0
        while True:
            raw = self.handle.readline(WHOLE_CSV_BYTES - self.read + 1)
            if not raw:
                self.complete = True
                return
            self.read += len(raw)
            if self.read > WHOLE_CSV_BYTES:
                raise DataError(
                    f"{self.name}: the rows the batch needs are not within its first "
                    f"{WHOLE_CSV_BYTES // 2**20} MiB, the most of a CSV bpcheck reads."
                )
            number += 1
            self.hash.update(raw)
            if b"\0" in raw:
                raise DataError(_binary(self.name, number))
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise DataError(_not_utf8(self.name, raw[error.start], number)) from None


def _parse(source: _WholeFile | _Beginning, name: str, counter: _RowCounter) -> Table:
    reader = csv.reader(source.lines(), strict=True)
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise DataError(f"{name} is empty, expected a header row such as x1,x2,label.")
        header_cells = _header(name, header)
        counter.start(header_cells)
        for row in reader:
            # Blank lines carry no sample; a trailing one is common.
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header_cells):
                raise DataError(
                    f"{name} line {reader.line_num} has {len(row)} cells where the header "
                    f"has {len(header_cells)}; every row needs one cell per column."
                )
            rows.append(tuple(cell.strip() for cell in row))
            lines.append(reader.line_num)
            if counter.enough(rows[-1]):
                break
    except csv.Error as error:
        raise DataError(
            f"{name} line {reader.line_num} is not valid CSV ({quote_input(str(error))}); "
            "expected comma-separated cells with a header row."
        ) from None
    if not rows:
        raise DataError(f"{name} has a header but no data rows.")
    numbers = tuple(range(1, len(rows) + 1))
    return Table(
        name,
        header_cells,
        tuple(rows),
        tuple(lines),
        numbers,
        complete=source.complete,
        sha256=source.hash.hexdigest(),
    )


def _binary(name: str, line: int) -> str:
    return (
        f"{name} is a binary file (a NUL byte on line {line}), expected a CSV text file with a "
        "header row."
    )


def _not_utf8(name: str, byte: int, line: int) -> str:
    return (
        f"{name} is not UTF-8 text (byte 0x{byte:02x} on line {line}), expected a CSV text "
        "file with a header row."
    )


def _header(name: str, cells: list[str]) -> tuple[str, ...]:
    header = tuple(cell.strip() for cell in cells)
    if len(header) == 1:
        raise DataError(
            f"{name} has a single column '{quote_input(header[0])}' on line 1, expected "
            "comma-separated columns: the features and the target."
        )
    for index, cell in enumerate(header, 1):
        if not cell:
            raise DataError(f"{name} line 1: column {index} of the header has no name.")
        if header.index(cell) != index - 1:
            raise DataError(
                f"{name} line 1: column '{quote_input(cell)}' appears twice in the header."
            )
    return header


def finite_number(cell: str) -> float | None:
    """The cell as a finite float, or None."""
    try:
        number = float(cell)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def show(names: Sequence[str]) -> str:
    """The first few names, each quoted short, and how many more there are."""
    shown = ", ".join(quote_input(name, _SHOWN_NAME) for name in names[:_MAX_SHOWN])
    return shown + (f", … ({len(names) - _MAX_SHOWN} more)" if len(names) > _MAX_SHOWN else "")
