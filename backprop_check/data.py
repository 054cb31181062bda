"""Reading a batch (and optionally the parameters) from a file named in the config's ``data:``.

An ``.npz`` holds ``x`` (samples × inputs) and ``y`` (samples × outputs), and may hold the
parameters ``W1``…``WJ``, ``b1``…``bJ`` too: exactly what ``--save-arrays`` writes, so a saved run
can be checked again as it was.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Dataset", "file_sha256", "read_npz"]

Array = np.ndarray


@dataclass(frozen=True, eq=False)
class Dataset:
    """A batch from a file, and the parameters when the file has them."""

    path: Path
    x: Array
    y: Array
    weights: tuple[Array, ...] | None = None
    biases: tuple[Array, ...] | None = None
    sha256: str = ""


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
