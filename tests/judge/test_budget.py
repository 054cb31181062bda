"""What a check costs: the memory guard refuses before allocating, the estimate grows with size."""

from __future__ import annotations

import pytest

from backprop_check import ConfigError
from backprop_check.judge.budget import format_size, guard_memory, required_bytes
from backprop_check.judge.checker import Checker
from backprop_check.spec.config import load_config

from ..helpers import small_config


def test_estimate_is_positive_and_scales_with_the_network() -> None:
    small = Checker(load_config(small_config())).estimate_seconds()
    wide = small_config(
        input_size=200,
        layers=[{"units": 200, "activation": "relu"}, {"units": 3, "activation": "softmax"}],
    )
    assert 0 < small < Checker(load_config(wide)).estimate_seconds()


def test_required_bytes_grow_with_units_batch_precision_and_directions() -> None:
    base = load_config(small_config())
    wider = load_config(
        small_config(
            layers=[{"units": 60, "activation": "relu"}] * 2
            + [{"units": 3, "activation": "softmax"}]
        )
    )
    assert required_bytes(wider) > required_bytes(base)
    assert required_bytes(base.with_overrides(batch_size=50)) > required_bytes(base)
    assert required_bytes(base.with_overrides(dtype="float32")) < required_bytes(base)
    assert required_bytes(base.with_overrides(directions=4)) > required_bytes(base)


def test_the_guard_names_the_widest_layer_and_the_budget() -> None:
    config = load_config(
        small_config(
            layers=[
                {"units": 4, "activation": "relu"},
                {"units": 3000, "activation": "relu"},
                {"units": 3, "activation": "softmax"},
            ]
        )
    )
    guard_memory(config, required_bytes(config))  # exactly enough is enough
    with pytest.raises(ConfigError, match=r"layers\[1\]\.units.*budget of 1\.0 MiB") as error:
        guard_memory(config, 2**20)
    assert "(--max-memory)" in str(error.value)


def test_sizes_read_as_people_write_them() -> None:
    assert format_size(3) == "3 bytes"
    assert format_size(512 * 2**20) == "512.0 MiB"
    assert format_size(3 * 2**80) == f"{3 * 2**50:,} GiB"
