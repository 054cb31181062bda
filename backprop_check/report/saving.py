"""Writing a report's arrays to an .npz file without touching the user's inputs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import BackpropCheckError
from .data import CheckReport

__all__ = ["refuse_inputs", "save_arrays"]


def refuse_inputs(path: Path, protect: Iterable[str | Path]) -> None:
    """Raise if ``path`` is one of the user's input files."""
    for protected in protect:
        if Path(protected).exists() and path.exists() and path.samefile(protected):
            raise BackpropCheckError(
                f"{path}: refusing to write over an input file; choose another path."
            )


def save_arrays(
    report: CheckReport, path: str | Path, *, protect: Iterable[str | Path] = ()
) -> Path:
    """Write x, y, W1…, b1…, dW1…, db1…, nW1…, nb1… to ``path`` exactly (no suffix added).

    Paths in ``protect`` (the config file, data files) are never overwritten.
    """
    path = Path(path)
    refuse_inputs(path, protect)
    try:
        with path.open("wb") as handle:
            np.savez(handle, **report.arrays)
    except OSError as error:
        raise BackpropCheckError(
            f"{path}: cannot write the arrays file ({error.strerror or error})."
        ) from None
    return path
