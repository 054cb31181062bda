"""A formula's derivative: derived when ``df`` is left out, checked when it is given.

Both need sympy (the ``symbolic`` extra), imported here only when a config has formulas. Without
it, a missing ``df`` is an error naming the extra, and a given one is left to the finite
differences, as it always was.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ...errors import BackpropCheckError, KeyPath, WrongDerivativeError, quote_input
from .compiler import Expression

__all__ = ["SYMBOLIC_EXTRA", "checked_derivative", "symbolic_engine"]

SYMBOLIC_EXTRA = "pip install 'backprop_check[symbolic]'"


def symbolic_engine() -> ModuleType | None:
    """The module that derives formulas, or None when sympy is not installed."""
    try:
        importlib.import_module("sympy")
    except ImportError:
        return None
    return importlib.import_module(f"{__package__}.symbolic")


def checked_derivative(
    f: Expression, df: Expression | None, *, variable: str, what: str, path: KeyPath
) -> Expression:
    """``df``, checked against the derivative of ``f`` in ``variable``; derived if None.

    ``what`` names the formula in messages ("activation 'swish'"), ``path`` its config key.
    """
    engine = symbolic_engine()
    if engine is None:
        if df is None:
            raise BackpropCheckError(
                f"{what} has no 'df', and deriving it needs sympy: {SYMBOLIC_EXTRA}, or write "
                f"df, the derivative in {variable}.",
                key_path=path,
            )
        return df
    try:
        derived = engine.derive(f, variable)
    except engine.CannotDeriveError as error:
        if df is not None:
            return df  # the finite differences still check it
        raise BackpropCheckError(
            f"{what}: bpcheck cannot derive f = '{quote_input(f.text)}' ({error}); write df, the "
            "derivative "
            f"in {variable}.",
            key_path=path,
        ) from None
    if df is None:
        return derived
    mismatch = engine.compare(df, derived)
    if mismatch is not None:
        at = ", ".join(f"{name} = {value:.6g}" for name, value in mismatch.point.items())
        raise WrongDerivativeError(
            f"{what}: df = '{quote_input(df.text)}' is not the derivative of f = "
            f"'{quote_input(f.text)}' in {variable}: at {at}, df gives {mismatch.given:.6g} but "
            f"the derivative is {mismatch.derived:.6g} (derived: {quote_input(derived.text)}).",
            key_path=(*path, "df"),
        )
    return df
