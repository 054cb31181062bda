"""Reading arrays from an ``.npz`` archive, each checked from its header before it is unpacked.

Only the members asked for are opened; others are never read. A member's ``.npy`` header gives
its dtype and shape: Python objects (pickles), non-numbers, a wrong shape, or more numbers than
the memory budget holds are refused from those few bytes, as is a member whose zip entry claims
to unpack to more than the budget (a zip bomb), before any data is decompressed.
"""

from __future__ import annotations

import hashlib
import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import DataError, file_problem, quote_input
from ..numeric.engine import DEFAULT_MAX_MEMORY
from .files import open_regular, shown_path

__all__ = ["Shape", "read_npz"]

Array = np.ndarray
# None: any number of rows.
Shape = tuple[int | None, ...]
_NPY_MAGIC = b"\x93NUMPY"
# A member's zip entry may exceed its array's bytes by its .npy header, at most this.
_HEADER_ROOM = 2**16


def read_npz(
    path: Path, shapes: Mapping[str, Shape], *, budget: int = DEFAULT_MAX_MEMORY
) -> tuple[dict[str, Array], str]:
    """The arrays named in ``shapes`` that the archive holds, as float64, and the file's sha256.

    Each must be numbers of its shape; all of them together (as float64) fit in ``budget``
    bytes. Any problem is a :class:`~backprop_check.errors.DataError`.
    """
    name = quote_input(path.name)
    try:
        with open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > budget:
                raise DataError(
                    f"{name} is {_size(size)}, more than the memory budget of {_size(budget)}; "
                    "is this the right file?"
                )
            if handle.read(len(_NPY_MAGIC)) == _NPY_MAGIC:
                raise DataError(
                    f"{name} is a single .npy array, not an .npz archive of named arrays; write "
                    "one with np.savez(path, x=x, y=y)."
                )
            handle.seek(0)
            arrays = _members(zipfile.ZipFile(handle), name, shapes, budget)
            handle.seek(0)
            digest = hashlib.sha256()
            while chunk := handle.read(2**20):
                digest.update(chunk)
            return arrays, digest.hexdigest()
    except zipfile.BadZipFile as error:
        raise DataError(
            f"data file {shown_path(path)} is not a readable .npz archive "
            f"({quote_input(str(error))})."
        ) from None
    except OSError as error:
        raise DataError(f"data file {shown_path(path)} {file_problem(error)}.") from None


def _members(
    archive: zipfile.ZipFile, name: str, shapes: Mapping[str, Shape], budget: int
) -> dict[str, Array]:
    entries = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
    wanted = [member for member in shapes if member in entries]
    left = budget
    headers = {}
    for member in wanted:
        dtype, shape = _header(archive, entries[member], name, member)
        _check_numbers(name, member, dtype, shape, shapes[member])
        # As float64, whatever the stored dtype: that is what is kept.
        needed = math.prod(shape) * max(dtype.itemsize, 8)
        if needed > left or entries[member].file_size > needed + _HEADER_ROOM:
            unpacked = max(needed, entries[member].file_size)
            raise DataError(
                f"{name}: array '{member}' would take {_size(unpacked)}, more than the memory "
                f"budget of {_size(budget)} leaves; is this the right file?"
            )
        left -= needed
        headers[member] = dtype
    return {member: _array(archive, entries[member], name, member) for member in headers}


def _header(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str, member: str
) -> tuple[np.dtype, tuple[int, ...]]:
    """The dtype and shape a member's .npy header declares, read without its data."""
    try:
        with archive.open(entry) as stream:
            version = np.lib.format.read_magic(stream)
            read = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read(stream)
    except (ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(
            f"{name}: array '{member}' is not a readable .npy array ({quote_input(str(error))})."
        ) from None
    return dtype, shape


def _check_numbers(name: str, member: str, dtype: np.dtype, shape: tuple, want: Shape) -> None:
    if dtype.hasobject:
        raise DataError(
            f"{name}: array '{member}' holds Python objects (a pickle), which bpcheck never "
            "loads; save numbers."
        )
    fits = len(shape) == len(want) and all(
        extent is None or have == extent for have, extent in zip(shape, want, strict=True)
    )
    if dtype.kind not in "iuf" or not fits:
        expected = " × ".join("samples" if extent is None else str(extent) for extent in want)
        raise DataError(
            f"{name}: array '{member}' should be numbers of shape {expected}, "
            f"found {dtype} of shape {' × '.join(map(str, shape)) or 'scalar'}."
        )


def _array(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str, member: str) -> Array:
    try:
        with archive.open(entry) as stream:
            found = np.lib.format.read_array(stream, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(
            f"{name}: array '{member}' cannot be unpacked ({quote_input(str(error))})."
        ) from None
    found = found.astype(np.float64)
    if not np.all(np.isfinite(found)):
        raise DataError(f"{name}: array '{member}' holds NaN or infinity.")
    return found


def _size(count: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
