"""backprop_check: verify hand-written MLP backpropagation against finite differences.

>>> from backprop_check import check
>>> report = check("configs/softmax_cce.yaml")      # doctest: +SKIP
>>> report.passed, report.diagnosis                 # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# Public names and the module each lives in. Imported on first use, so that `bpcheck --help`
# does not pay for numpy and rich.
_EXPORTS = {
    "BackpropCheckError": "errors",
    "ConfigError": "errors",
    "CheckOptions": "spec.model",
    "Config": "spec.model",
    "LayerSpec": "spec.model",
    "load_config": "spec.config",
    "CheckReport": "report.data",
    "LayerReport": "report.data",
    "QuantityCheck": "report.data",
    "check": "judge.api",
    "CheckInterrupted": "judge.checker",
    "assert_gradients_match": "judge.api",
    "Checker": "judge.checker",
    "RunResult": "report.data",
    "save_arrays": "report.saving",
}

__all__ = [
    "BackpropCheckError",
    "CheckInterrupted",
    "CheckOptions",
    "CheckReport",
    "Checker",
    "Config",
    "ConfigError",
    "LayerReport",
    "LayerSpec",
    "QuantityCheck",
    "RunResult",
    "__version__",
    "assert_gradients_match",
    "check",
    "load_config",
    "save_arrays",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from .errors import BackpropCheckError, ConfigError
    from .judge.api import assert_gradients_match, check
    from .judge.checker import Checker, CheckInterrupted
    from .report.data import CheckReport, LayerReport, QuantityCheck, RunResult
    from .report.saving import save_arrays
    from .spec.config import load_config
    from .spec.model import CheckOptions, Config, LayerSpec
