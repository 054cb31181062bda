"""Loading a network spec (YAML file or dict) into a validated :class:`Config`.

The flow: :mod:`.reading` turns the file into plain data with positions; :mod:`.schema`,
:mod:`.sections` and :mod:`.data_section` check it part by part, raising errors keyed by the path
to blame; :func:`load_config` adds the file, line and column to them, here and only here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BackpropCheckError
from .model import CheckOptions, Config, LayerSpec
from .reading import Document, document_from_mapping, read_document
from .schema import (
    DEFAULT_BATCH_SIZE,
    DTYPES,
    INIT_SCHEMES,
    MAX_SEED,
    REQUIRED_KEYS,
    TOP_LEVEL_KEYS,
    check_keys,
    choice,
    int_at_least,
    require_mapping,
)
from .sections import (
    validate_activations,
    validate_check,
    validate_layers,
    validate_loss,
    validate_losses,
)

if TYPE_CHECKING:
    from .data import Dataset

# Config, CheckOptions and LayerSpec live in .model; they are named here too because this is
# the module callers load configs from.
__all__ = ["CheckOptions", "Config", "LayerSpec", "load_config"]


def load_config(source: str | Path | Mapping[str, Any]) -> Config:
    """Read a YAML file (path) or a mapping and validate it into a :class:`Config`.

    Any problem is a :class:`~backprop_check.errors.ConfigError` naming the source, the key
    path and, for a file, the line and column.
    """
    if isinstance(source, Mapping):
        document = document_from_mapping(source)
        folder = Path.cwd()
    else:
        document = read_document(Path(source))
        folder = Path(source).parent
    try:
        return _validate(document, folder=folder)
    except BackpropCheckError as error:
        raise document.locate(error) from None


def _validate(document: Document, *, folder: Path) -> Config:
    top = require_mapping(document.data, (), "a mapping of keys such as input_size, layers, loss")
    check_keys(top, TOP_LEVEL_KEYS, ())
    for required in REQUIRED_KEYS:
        if required not in top:
            raise BackpropCheckError(
                f"missing required key '{required}'. Required: {', '.join(REQUIRED_KEYS)}."
            )
    input_size = int_at_least(top["input_size"], 1, ("input_size",))
    activations = validate_activations(top.get("activations", {}))
    losses = validate_losses(top.get("losses", {}))
    layers = validate_layers(top["layers"], activations)
    loss = validate_loss(top["loss"], layers, losses, activations)
    batch_size = int_at_least(top.get("batch_size", DEFAULT_BATCH_SIZE), 1, ("batch_size",))
    seed = int_at_least(top.get("seed", 0), 0, ("seed",), maximum=MAX_SEED)
    init = choice(top.get("init", "auto"), INIT_SCHEMES, ("init",), "init scheme")
    check = CheckOptions(**validate_check(top.get("check", {})))
    if "dtype" in top:
        check = dataclasses.replace(check, dtype=choice(top["dtype"], DTYPES, ("dtype",), "dtype"))
    if activations or losses:  # built-ins are all complex-analytic; formulas may not be
        from .formulas import check_complex_step

        used = [layer.activation for layer in layers]
        check_complex_step(check.method, used, loss, activations, losses, ("check", "method"))
    # The sections most configs leave out are read by modules imported only where they are.
    regularization = impl = None
    if "regularization" in top:
        from .impl_section import validate_regularization

        regularization = validate_regularization(top["regularization"])
    if "impl" in top:
        from .impl_section import validate_impl

        impl = validate_impl(top["impl"], folder, loss=loss, regularization=regularization)
    sizes = [input_size, *(layer.units for layer in layers)]
    dataset, batch_size = _dataset(top, folder, sizes, loss, batch_size)
    return Config(
        input_size=input_size,
        layers=layers,
        loss=loss,
        batch_size=batch_size,
        seed=seed,
        init=init,
        check=check,
        source=document.source,
        data=dataset,
        impl=impl,
        regularization=regularization,
        custom_activations=activations,
        custom_losses=losses,
        locations=document.locations,
        text=document.text,
    )


def _dataset(
    top: Mapping[str, Any], folder: Path, sizes: list[int], loss: str, batch_size: int
) -> tuple[Dataset | None, int]:
    """The batch the ``data:`` section names, if any, and the batch size it leaves."""
    if "data" not in top:
        return None, batch_size
    from .data_section import validate_data

    dataset = validate_data(top["data"], folder, sizes, loss, batch_size=batch_size)
    return dataset, _batch_rows(top, dataset.x.shape[0], dataset.path.name, batch_size)


def _batch_rows(top: Mapping[str, Any], rows: int, file: str, batch_size: int) -> int:
    """A file's batch is its first rows: data.rows of them, else batch_size, else up to the
    default, because a finite-difference check wants few samples."""
    if "rows" in top["data"]:
        batch_size = top["data"]["rows"]
    elif "batch_size" not in top:
        batch_size = min(DEFAULT_BATCH_SIZE, rows)
    if batch_size > rows:
        key = ("data", "rows") if "rows" in top["data"] else ("batch_size",)
        raise BackpropCheckError(f"asks for {batch_size} rows but {file} has {rows}.", key_path=key)
    return batch_size
