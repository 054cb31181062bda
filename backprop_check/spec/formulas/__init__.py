"""The formula language for a config's own activations and losses.

- :mod:`.functions`: the vocabulary (whitelisted functions, constants, operators);
- :mod:`.text`: parsing a formula's text within bounds, and quoting it in messages;
- :mod:`.compiler`: the checked tree turned into closures, :func:`compile_expression`;
- :mod:`.builders`: an :class:`~backprop_check.core.activations.Activation` or
  :class:`~backprop_check.core.losses.Loss` from compiled formulas;
- :mod:`.derivatives`: a formula's df derived when left out, checked when given (lazily, with
  :mod:`.symbolic`, which needs sympy: the ``symbolic`` extra).
"""

from __future__ import annotations

from .builders import check_complex_step, formula_activation, formula_loss
from .compiler import Expression, compile_expression
from .functions import CONSTANTS, FUNCTIONS
from .text import ExpressionError

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "Expression",
    "ExpressionError",
    "check_complex_step",
    "compile_expression",
    "formula_activation",
    "formula_loss",
]
