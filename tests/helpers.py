"""Builders shared by the tests: small config dicts, file writers, data files."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner, Result

from backprop_check import ConfigError
from backprop_check.cli import main
from backprop_check.spec.config import load_config
from backprop_check.spec.formulas import Expression, compile_expression

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
# The bad-input corpus: one mistake per file (see tests/test_invalid_inputs.py).
CORPUS = ROOT / "tests" / "data" / "invalid"
# The hypothesis profile the suite runs with (registered in conftest.py).
HYPOTHESIS_PROFILES = ("ci", "long")
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# A run still going after this long is stopped and reported as a hang.
HANG_LIMIT = 20.0
# A refusal may take at most this many times a check of every shipped config, measured in the
# same test: a loaded machine slows both alike.
SLOWER_THAN_A_CHECK = 10.0

# The example config of the docs (getting started), as YAML text.
FULL = """\
input_size: 4
layers:
  - {units: 16, activation: relu}
  - {units: 8, activation: sigmoid}
  - {units: 3, activation: softmax}
loss: categorical_crossentropy
batch_size: 8
seed: 0
init: he
check:
  eps: 1e-6
  rtol: 1.0e-5
  atol: 1e-8
"""

_LOADED = {path: load_config(path) for path in CONFIGS}
# Configs whose activations and loss are all built in (no formulas of their own).
BUILT_IN_CONFIGS = [
    path for path, config in _LOADED.items() if not config.custom_activations | config.custom_losses
]
# Configs the complex step applies to: formulas with abs, where, ... are not complex-analytic.
COMPLEX_STEP_CONFIGS = [
    path
    for path, config in _LOADED.items()
    if config.loss_function().complex_safe
    and all(config.activation(layer.activation).complex_safe for layer in config.layers)
]


def small_config(**changes: Any) -> dict[str, Any]:
    """A three-layer network dict touching relu, sigmoid and softmax + CCE."""
    config: dict[str, Any] = {
        "input_size": 4,
        "layers": [
            {"units": 6, "activation": "relu"},
            {"units": 5, "activation": "sigmoid"},
            {"units": 3, "activation": "softmax"},
        ],
        "loss": "categorical_crossentropy",
        "batch_size": 5,
        "seed": 7,
    }
    config.update(changes)
    return config


def square_config(**changes: Any) -> dict[str, Any]:
    """Equal widths, so a missing transpose of W still has the right shape and must be caught."""
    config: dict[str, Any] = {
        "input_size": 5,
        "layers": [
            {"units": 5, "activation": "tanh"},
            {"units": 5, "activation": "sigmoid"},
            {"units": 5, "activation": "sigmoid"},
        ],
        "loss": "binary_crossentropy",
        "batch_size": 4,
        "seed": 11,
    }
    config.update(changes)
    return config


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def broken_sigmoid(monkeypatch: Any) -> None:
    """σ' replaced by σ for this test: Eq. 2 breaks below every sigmoid layer."""
    from backprop_check.core.activations import ACTIVATIONS

    sigmoid = ACTIVATIONS["sigmoid"]
    monkeypatch.setitem(
        ACTIVATIONS, "sigmoid", dataclasses.replace(sigmoid, derivative=sigmoid.value)
    )


def failing(report: Any) -> list[tuple[int, str]]:
    """Failing (layer, quantity) rows from the output layer down, as the diagnosis reads them."""
    return [
        (c.layer, c.quantity)
        for layer in reversed(report.layers)
        for c in layer.checks
        if not c.passed
    ]


def run_with(config: Any, analytic: Any = None, **overrides: Any) -> Any:
    """The check of ``config`` (a dict, path or Config) with its analytic side replaced.

    ``analytic`` is what the product takes: a Steps (some equations replaced) or a function of
    (network, trace, y) giving every gradient, as selftest injects its mutants.
    """
    from backprop_check.judge.checker import Checker
    from backprop_check.spec.config import Config

    loaded = config if isinstance(config, Config) else load_config(config)
    return Checker(loaded.with_overrides(**overrides), analytic=analytic).run()


def derivative_of(name: str, derivative: Any, *, layers: Any = None) -> Any:
    """Steps whose σ' of the activation ``name`` is ``derivative(z)`` (in ``layers`` only, when
    given); every other σ' built in."""
    from backprop_check.core.backprop import Steps

    def replaced(activation: Any, z: Any, *, layer: int) -> Any:
        if activation.name == name and (layers is None or layer in layers):
            return derivative(z)
        return activation.derivative(z)

    return Steps(activation_derivative=replaced)


def npz_config(tmp_path: Path, arrays: dict[str, np.ndarray], **changes) -> Path:
    np.savez(tmp_path / "batch.npz", **arrays)
    config = small_config(data={"path": "batch.npz"}, **changes)
    config.pop("batch_size")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def random_batch(rng, rows: int = 10) -> dict[str, np.ndarray]:
    return {"x": rng.standard_normal((rows, 4)), "y": np.eye(3)[rng.integers(0, 3, rows)]}


# Two features around a label column, so "every column but the target" is really tested.
ANIMALS = """\
height,kind,weight
1.0,dog,10
2.0,cat,4
3.0,bird,0.5
4.0,cat,5
5.0,dog,20
6.0,bird,0.25
"""


def csv_config(
    tmp_path: Path,
    text: str | bytes | None,
    *,
    units: int = 3,
    loss: str = "categorical_crossentropy",
    **data,
) -> Path:
    """A config reading ``text`` as data/table.csv (None: the file is there already):
    2 inputs → 4 tanh → ``units`` outputs."""
    (tmp_path / "data").mkdir(exist_ok=True)
    table = tmp_path / "data" / "table.csv"
    if isinstance(text, bytes):
        table.write_bytes(text)
    elif text is not None:
        table.write_text(text, encoding="utf-8")
    output = {"mse": "linear", "binary_crossentropy": "sigmoid"}.get(loss, "softmax")
    config = {
        "input_size": 2,
        "layers": [
            {"units": 4, "activation": "tanh"},
            {"units": units, "activation": output},
        ],
        "loss": loss,
        "data": {"path": "data/table.csv", "target": "kind", **data},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def config_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert error.source == str(path)
    assert error.line is not None  # every data error points into the config file
    assert "\n" not in str(error)  # one paragraph
    return error


def formula(text: str, variables: tuple[str, ...] = ("x",)) -> Expression:
    """A compiled formula, in x unless told otherwise."""
    return compile_expression(text, variables=variables)


@contextlib.contextmanager
def hard_deadline(seconds: float = HANG_LIMIT) -> Iterator[None]:
    """Raise TimeoutError in the main thread after ``seconds``, so a hang fails instead of
    blocking the suite (checked between Python bytecodes; a no-op off Unix or the main thread)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    if not hasattr(signal, "setitimer") or not in_main_thread:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(*args: str) -> tuple[Result, float]:
    """`bpcheck ARGS` through CliRunner, stopped as a hang after HANG_LIMIT: the result and the
    seconds it took."""
    started = time.perf_counter()
    with hard_deadline(HANG_LIMIT):
        result = CliRunner().invoke(main, list(args))
    return result, time.perf_counter() - started


def crash(result: Result) -> str:
    """The traceback of an exception that escaped the command, or ''."""
    error = result.exception
    if error is None or isinstance(error, SystemExit):
        return ""
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def assert_no_slower_than_a_check(seconds: float, what: str) -> None:
    """``seconds`` is at most SLOWER_THAN_A_CHECK times a check of every shipped config (about
    0.2 s on an idle machine), measured now. Anything under half a second is quick enough, and
    skips the measuring."""
    if seconds < 0.5:
        return
    _, baseline = run_cli("run", str(ROOT / "configs"))
    assert seconds < SLOWER_THAN_A_CHECK * baseline, (
        f"{what}: {seconds:.2f} s, checking every shipped config took {baseline:.2f} s"
    )


def examples(*, ci: int, long: int = 20_000) -> int:
    """How many examples a property tries under the current hypothesis profile."""
    return ci if HYPOTHESIS_PROFILE == "ci" else long


@contextlib.contextmanager
def bytes_read() -> Iterator[list[int]]:
    """How many bytes this process reads inside the block (Linux's /proc/self/io rchar), in a
    one-element list filled in at the end; the test is skipped where that count is missing."""
    io_file = Path("/proc/self/io")
    if not io_file.exists():
        pytest.skip("needs /proc/self/io to count the bytes read")

    def rchar() -> int:
        fields = dict(line.split(": ") for line in io_file.read_text().splitlines())
        return int(fields["rchar"])

    count: list[int] = []
    before = rchar()
    yield count
    count.append(rchar() - before)


def table_rows(text: str) -> list[list[str]]:
    """The rows of the layer tables in a text report: cells split at runs of two spaces."""
    rows = []
    for line in text.splitlines():
        cells = re.split(r" {2,}", line.strip())
        if line[:1] in ("φ", "∇") and len(cells) > 2 and cells[1].isdigit():
            rows.append(cells)
    return rows


# A rows/mean backward (and loss) for a 3 → 4 tanh → 3 softmax network; TRANSPOSE switches the
# orientation its weights and ∇W keep (DW_T: its ∇W alone), SIGN plants the loss-gradient sign
# bug, HALF halves the loss.
CODE = """\
import numpy as np

TRANSPOSE, SIGN, HALF, DW_T = {transpose}, {sign}, {half}, {dw_t}


def _forward(weights, biases, x):
    weights = [w.T for w in weights] if TRANSPOSE else weights
    z1 = x @ weights[0].T + biases[0]
    a1 = np.tanh(z1)
    z2 = a1 @ weights[1].T + biases[1]
    e = np.exp(z2 - z2.max(axis=1, keepdims=True))
    return weights, z1, a1, e / e.sum(axis=1, keepdims=True)


def backward(weights, biases, x, y):
    weights, z1, a1, a2 = _forward(weights, biases, x)
    phi2 = SIGN * (a2 - y) / len(x)
    phi1 = (phi2 @ weights[1]) * (1 - np.tanh(z1) ** 2)
    dW = [phi1.T @ x, phi2.T @ a1]
    dW = [g.T for g in dW] if TRANSPOSE != DW_T else dW
    return dW, [phi1.sum(0), phi2.sum(0)]


def loss(weights, biases, x, y):
    a2 = _forward(weights, biases, x)[3]
    return HALF * -np.mean(np.sum(y * np.log(a2), axis=1))
"""
NETWORK: dict[str, Any] = {
    "input_size": 3,
    "layers": [{"units": 4, "activation": "tanh"}, {"units": 3, "activation": "softmax"}],
    "loss": "categorical_crossentropy",
    "batch_size": 5,
    "seed": 3,
}


def impl_project(
    folder: Path,
    impl: dict[str, Any] | None = None,
    *,
    transpose: bool = False,
    sign: int = 1,
    half: bool = False,
    dw_t: bool = False,
    name: str = "network.py",
    **top: Any,
) -> Path:
    """A folder with the code above as ``name`` and net.yaml: NETWORK with ``impl`` and ``top``."""
    folder.mkdir(parents=True, exist_ok=True)
    code = CODE.format(transpose=transpose, sign=sign, half=0.5 if half else 1.0, dw_t=dw_t)
    (folder / name).write_text(code, encoding="utf-8")
    document = {**NETWORK, **top}
    if impl is not None:
        document["impl"] = impl
    path = folder / "net.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def example_with(folder: Path, example: str, **impl: Any) -> Path:
    """A copy of configs/examples/<example> whose config's impl: block has ``impl`` changed (a key
    given None is removed): the mis-declarations a new user makes, for the messages they see."""
    copy = shutil.copytree(ROOT / "configs" / "examples" / example, folder / example)
    (config,) = copy.glob("*.yaml")
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for key, value in impl.items():
        if value is None:
            del document["impl"][key]
        else:
            document["impl"][key] = value
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return config
