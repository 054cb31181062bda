"""The validated config as plain data: check options' defaults, modes, and locating an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop_check import CheckOptions, ConfigError, load_config
from backprop_check.numeric.finite_differences import METHODS

from ..helpers import FULL, small_config, write


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unset_step_and_tolerances_take_the_methods_defaults(method: str, dtype: str) -> None:
    options = CheckOptions(method=method, dtype=dtype)
    defaults = METHODS[method].defaults(dtype)
    assert (options.step, options.relative_tolerance, options.absolute_tolerance) == (
        defaults.eps,
        defaults.rtol,
        defaults.atol,
    )
    chosen = CheckOptions(method=method, dtype=dtype, eps=0.25, rtol=0.5, atol=0.75)
    assert (chosen.step, chosen.relative_tolerance, chosen.absolute_tolerance) == (0.25, 0.5, 0.75)


@pytest.mark.parametrize(
    ("options", "mode"),
    [({}, "full"), ({"sample": 3}, "sample"), ({"directions": 2}, "directions")],
)
def test_mode(options: dict, mode: str) -> None:
    assert CheckOptions(**options).mode == mode


def test_an_error_about_a_key_points_into_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    error = config.error("layers[1].units", "too wide.")
    assert isinstance(error, ConfigError)
    assert (
        str(error)
        == f"{tmp_path / 'config.yaml'}, line 4, column 13, key 'layers[1].units': too wide."
    )
    assert str(config.error(("layers", 1, "units"), "too wide.")) == str(error)


def test_an_error_about_a_dict_config_has_no_position() -> None:
    error = load_config(small_config()).error("seed", "no.")
    assert str(error) == "<dict>, key 'seed': no."


def test_the_hash_follows_the_text(tmp_path: Path) -> None:
    first = load_config(write(tmp_path, FULL))
    again = load_config(write(tmp_path, FULL, name="again.yaml"))
    other = load_config(write(tmp_path, FULL + "# a comment\n", name="other.yaml"))
    assert first.sha256 == again.sha256 != other.sha256
    assert len(first.sha256) == 64
