"""Options given with a call: they replace the file's values, and bad ones are refused by key.

The library names an option by its key (``batch_size``); the command line by its flag
(``--batch-size``), with the same message otherwise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_check import ConfigError, load_config
from backprop_check.cli import main

from ..helpers import ROOT, small_config

SOFTMAX_CCE = ROOT / "configs" / "softmax_cce.yaml"


def _as_flags(error: ConfigError) -> str:
    return str(error.with_option_names(lambda key: "--" + key.replace("_", "-")))


def test_overrides_replace_file_values() -> None:
    config = load_config(small_config(check={"rtol": 1e-4, "atol": 1e-7})).with_overrides(
        eps=1e-5, seed=3, batch_size=2
    )
    assert (config.check.eps, config.check.rtol, config.check.atol) == (1e-5, 1e-4, 1e-7)
    assert (config.seed, config.batch_size) == (3, 2)


def test_another_method_brings_its_own_step_and_tolerances() -> None:
    config = load_config(small_config(check={"eps": 1e-6, "rtol": 1e-5})).with_overrides(
        method="richardson", atol=1e-9
    )
    assert config.check.method == "richardson"
    assert (config.check.step, config.check.relative_tolerance) == (1e-4, 1e-6)
    assert config.check.absolute_tolerance == 1e-9
    same = load_config(small_config(check={"eps": 1e-5})).with_overrides(method="central")
    assert same.check.step == 1e-5


def test_sample_and_directions_replace_each_other() -> None:
    config = load_config(small_config(check={"directions": 4}))
    assert config.check.mode == "directions"
    sampled = config.with_overrides(sample=10)
    assert (sampled.check.mode, sampled.check.sample, sampled.check.directions) == (
        "sample",
        10,
        None,
    )
    back = sampled.with_overrides(directions=2)
    assert (back.check.mode, back.check.sample, back.check.directions) == ("directions", None, 2)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"eps": 0.0},
            "command line, option '--eps': expected a finite number > 0 and < 1, found 0.0.",
        ),
        (
            {"rtol": -1.0},
            "command line, option '--rtol': expected a finite number ≥ 0, found -1.0.",
        ),
        (
            {"atol": float("nan")},
            "command line, option '--atol': expected a finite number ≥ 0, found nan.",
        ),
        (
            {"batch_size": 0},
            "command line, option '--batch-size': expected a whole number ≥ 1, found 0.",
        ),
        ({"seed": -2}, "command line, option '--seed': expected a whole number ≥ 0, found -2."),
        (
            {"method": "secant"},
            "command line, option '--method': unknown method 'secant'. "
            "Expected one of: central, forward, backward, complex-step, richardson.",
        ),
        ({"sample": 0}, "command line, option '--sample': expected a whole number ≥ 1, found 0."),
        (
            {"sample": 3, "directions": 2},
            "command line, option '--sample': choose either --sample or --directions, not both.",
        ),
    ],
)
def test_bad_overrides(overrides, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(small_config()).with_overrides(**overrides)
    error = caught.value
    assert error.from_option
    assert error.source == "command line"
    assert error.key_path == (next(iter(overrides)),)
    # The library's own text names the key; named as flags, it is the command line's message.
    assert str(error) == message.replace("--batch-size", "batch_size").replace("--", "")
    assert _as_flags(error) == message


# Every case above the command line can reach (click refuses an unknown --method itself).
CLI_CASES = [
    (
        ["--eps", "0"],
        "command line, option '--eps': expected a finite number > 0 and < 1, found 0.0.",
    ),
    (["--rtol", "-1"], "command line, option '--rtol': expected a finite number ≥ 0, found -1.0."),
    (["--atol", "nan"], "command line, option '--atol': expected a finite number ≥ 0, found nan."),
    (
        ["--batch-size", "0"],
        "command line, option '--batch-size': expected a whole number ≥ 1, found 0.",
    ),
    (["--seed", "-2"], "command line, option '--seed': expected a whole number ≥ 0, found -2."),
    (["--sample", "0"], "command line, option '--sample': expected a whole number ≥ 1, found 0."),
    (
        ["--sample", "3", "--directions", "2"],
        "command line, option '--sample': choose either --sample or --directions, not both.",
    ),
]


@pytest.mark.parametrize(("options", "message"), CLI_CASES)
def test_the_command_line_names_options_by_their_flags(options: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["run", str(SOFTMAX_CCE), *options])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {message}\n"


def test_a_batch_larger_than_the_file_is_refused_by_key_and_by_flag(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    np.savez(
        tmp_path / "batch.npz", x=rng.standard_normal((10, 4)), y=np.eye(3)[rng.integers(0, 3, 10)]
    )
    config = small_config(data={"path": str(tmp_path / "batch.npz")})
    with pytest.raises(ConfigError) as caught:
        load_config(config).with_overrides(batch_size=11)
    assert str(caught.value) == (
        "command line, option 'batch_size': asks for 11 rows but batch.npz has 10."
    )
    assert _as_flags(caught.value) == (
        "command line, option '--batch-size': asks for 11 rows but batch.npz has 10."
    )
