"""Reading a batch (and optionally the parameters) from a file named in the config's ``data:``.

An ``.npz`` holds ``x`` (samples × inputs) and ``y`` (samples × outputs), and may hold the
parameters ``W1``…``WJ``, ``b1``…``bJ`` too: exactly what ``--save-arrays`` writes, so a saved run
can be checked again as it was. A ``.csv`` is read by :mod:`.tables`.

:meth:`Dataset.prepared` then standardizes the features and shuffles the rows (classes taking
turns), before the config takes the first rows as the batch.

Problems with a file raise :class:`~backprop_check.errors.DataError`, keyed by the ``data:`` key
to blame; the config reader adds the config's file, line and column.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError, file_problem
from .tables import csv_targets, find_target, keep_classes, read_csv, show

__all__ = ["Dataset", "file_sha256", "read_npz", "shuffled_order", "standardized"]

Array = np.ndarray


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
        cls, path: Path, arrays: Mapping[str, Array], sizes: Sequence[int], sha256: str
    ) -> Dataset:
        """x, y and (all or none of) W1…WJ, b1…bJ from an .npz's arrays.

        ``sizes`` is [input_size, units of layer 1, …, units of layer J].
        """
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
    ) -> Dataset:
        """x from every column but ``target``, y from ``target`` by the loss (:func:`csv_targets`).

        ``classes``, when given, keeps only the rows whose target is one of them.
        """
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
            f"{table.name} has {len(features)} feature columns ({show(features)}: every column "
            f"but the target '{target}') but input_size is {sizes[0]}."
        )
    if classes is not None:
        table = keep_classes(table, target, classes)
    x = np.column_stack([table.floats(name) for name in features])
    y, names = csv_targets(table, target, loss, sizes[-1])
    return Dataset(path=path, x=x, y=y, sha256=file_sha256(path), classes=names)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_npz(path: Path) -> dict[str, Array]:
    """The arrays of an .npz file."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (FileNotFoundError, IsADirectoryError) as error:
        raise DataError(f"data file {path} {file_problem(error)}.") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"data file {path} is not a readable .npz archive ({error}).") from None


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
