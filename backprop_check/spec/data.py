"""Reading a batch (and optionally the parameters) from a file named in the config's ``data:``.

An ``.npz`` holds ``x`` (samples × inputs) and ``y`` (samples × outputs), and may hold the
parameters ``W1``…``WJ``, ``b1``…``bJ`` too: exactly what ``--save-arrays`` writes, so a saved run
can be checked again as it was; :mod:`.archives` reads it. A ``.csv`` is read by :mod:`.tables`
and its labels made by :mod:`.labels`.

:meth:`Dataset.prepared` then standardizes the features and shuffles the rows (classes taking
turns), before the config takes the first rows as the batch.

Problems with a file raise :class:`~backprop_check.errors.DataError`, keyed by the ``data:`` key
to blame; the config reader adds the config's file, line and column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError, quote_input
from .archives import Shape, read_npz
from .labels import csv_targets, find_target, keep_classes
from .tables import read_csv, show

__all__ = ["Dataset", "npz_shapes", "shuffled_order", "standardized"]

Array = np.ndarray


@dataclass(frozen=True, eq=False)
class Dataset:
    """A batch from a file, and the parameters when the file has them.

    ``classes`` names the labels behind ``y`` for a CSV read with a classification loss: the
    columns of the one-hot ``y`` for categorical cross-entropy, the labels 0 and 1 for binary.
    ``sha256`` is the hash of the bytes read: the whole file, or the beginning of a large CSV.
    """

    path: Path
    x: Array
    y: Array
    weights: tuple[Array, ...] | None = None
    biases: tuple[Array, ...] | None = None
    sha256: str = ""
    classes: tuple[str, ...] = ()

    @classmethod
    def from_npz(cls, path: Path, sizes: Sequence[int]) -> Dataset:
        """x, y and (all or none of) W1…WJ, b1…bJ from an .npz archive.

        ``sizes`` is [input_size, units of layer 1, …, units of layer J].
        """
        arrays, sha256 = read_npz(path, npz_shapes(sizes))
        return _npz_dataset(path, arrays, len(sizes) - 1, sha256)

    @classmethod
    def from_csv(
        cls,
        path: Path,
        *,
        target: str,
        classes: Sequence[str] | None,
        loss: str,
        sizes: Sequence[int],
        rows: int | None = None,
        every_row_for: str = "",
    ) -> Dataset:
        """x from every column but ``target``, y from ``target`` by the loss (:func:`csv_targets`).

        ``classes``, when given, keeps only the rows whose target is one of them. ``rows`` is how
        many (kept) rows the batch takes, all that a large file is read for; None when every row
        is needed, which ``every_row_for`` says why (" for standardize").
        """
        table = read_csv(
            path, stop_after=rows, target=target, classes=classes, every_row_for=every_row_for
        )
        features = find_target(table, target)
        if len(features) != sizes[0]:
            raise DataError(
                f"{table.name} has {len(features)} feature columns ({show(features)}: every "
                f"column but the target '{quote_input(target)}') but input_size is {sizes[0]}."
            )
        if classes is not None:
            table = keep_classes(table, target, classes)
        x = np.column_stack([table.floats(name) for name in features])
        y, names = csv_targets(table, target, loss, sizes[-1], classes)
        return cls(path=path, x=x, y=y, sha256=table.sha256, classes=names)

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


def npz_shapes(sizes: Sequence[int]) -> dict[str, Shape]:
    """The arrays an .npz may hold for a network of ``sizes``, and their shapes."""
    shapes: dict[str, Shape] = {"x": (None, sizes[0]), "y": (None, sizes[-1])}
    for j in range(1, len(sizes)):
        shapes[f"W{j}"] = (sizes[j], sizes[j - 1])
        shapes[f"b{j}"] = (sizes[j],)
    return shapes


def _npz_dataset(path: Path, arrays: Mapping[str, Array], layers: int, sha256: str) -> Dataset:
    name = quote_input(path.name)
    for required in ("x", "y"):
        if required not in arrays:
            raise DataError(f"{name} has no array '{required}'.")
    x, y = arrays["x"], arrays["y"]
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise DataError(
            f"{name}: x and y need the same, non-zero number of rows, found {x.shape[0]} "
            f"and {y.shape[0]}."
        )
    parameters = [f"{kind}{j}" for j in range(1, layers + 1) for kind in ("W", "b")]
    present = [parameter for parameter in parameters if parameter in arrays]
    if not present:
        return Dataset(path=path, x=x, y=y, sha256=sha256)
    if len(present) != len(parameters):
        missing = ", ".join(parameter for parameter in parameters if parameter not in arrays)
        raise DataError(f"{name} has some parameters but not {missing}: give all or none.")
    return Dataset(
        path=path,
        x=x,
        y=y,
        weights=tuple(arrays[f"W{j}"] for j in range(1, layers + 1)),
        biases=tuple(arrays[f"b{j}"] for j in range(1, layers + 1)),
        sha256=sha256,
    )


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
