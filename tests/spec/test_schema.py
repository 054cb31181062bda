"""The checks every config value goes through, called directly: what they accept, and the key
path and message of what they refuse."""

from __future__ import annotations

import math

import pytest

from backprop_check.errors import BackpropCheckError
from backprop_check.spec.schema import (
    MAX_SIZE,
    check_keys,
    choice,
    describe,
    did_you_mean,
    int_at_least,
    positive_float,
    require_mapping,
    validate_method,
)

PATH = ("check", "sample")


def _refusal(function, *args, **kwargs) -> BackpropCheckError:
    with pytest.raises(BackpropCheckError) as caught:
        function(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "nothing (null)"),
        (True, "true (a boolean)"),
        ({"a": 1}, "a mapping"),
        ([1, 2], "a list"),
        (10**30, "an integer of 31 digits"),
        (0.5, "0.5"),
        ("six", "'six'"),
    ],
)
def test_describe_says_what_was_found(value, text: str) -> None:
    assert describe(value) == text


def test_describe_shortens_long_text() -> None:
    assert len(describe("x" * 100_000)) < 70


def test_did_you_mean_finds_close_names_only() -> None:
    assert did_you_mean("activaton", ["units", "activation"]) == " Did you mean 'activation'?"
    assert did_you_mean("zzz", ["units", "activation"]) == ""


def test_check_keys_names_the_unknown_key_at_the_key() -> None:
    check_keys({"units": 1}, ("units", "activation"), ("layers", 0))
    error = _refusal(check_keys, {"unit": 1}, ("units", "activation"), ("layers", 0))
    assert error.key_path == ("layers", 0, "unit")
    assert error.at_key
    assert error.message == (
        "unknown key 'unit'. Did you mean 'units'? Allowed here: units, activation."
    )


def test_require_mapping() -> None:
    assert require_mapping({"a": 1}, ("check",), "a mapping") == {"a": 1}
    error = _refusal(require_mapping, [1], ("check",), "a mapping of options")
    assert (error.key_path, error.message) == (
        ("check",),
        "expected a mapping of options, found a list.",
    )


@pytest.mark.parametrize("value", [1, 7, MAX_SIZE])
def test_int_at_least_accepts_whole_numbers_in_range(value: int) -> None:
    assert int_at_least(value, 1, PATH) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "expected a whole number ≥ 1, found 0."),
        (2.0, "expected a whole number ≥ 1, found 2.0."),
        (True, "expected a whole number ≥ 1, found true (a boolean)."),
        ("3", "expected a whole number ≥ 1, found '3'."),
        (MAX_SIZE + 1, f"expected a whole number ≤ {MAX_SIZE:,}, found {MAX_SIZE + 1} (a typo?)."),
        (
            10**400,
            f"expected a whole number ≤ {MAX_SIZE:,}, found an integer of 401 digits (a typo?).",
        ),
    ],
)
def test_int_at_least_refuses(value, message: str) -> None:
    error = _refusal(int_at_least, value, 1, PATH)
    assert error.key_path == PATH
    assert error.message.endswith(message)


@pytest.mark.parametrize(("value", "number"), [(1e-6, 1e-6), ("2e-8", 2e-8), (0, 0.0), (3, 3.0)])
def test_positive_float_accepts_numbers_and_numeric_text(value, number: float) -> None:
    assert positive_float(value, PATH) == number


@pytest.mark.parametrize("value", [-1.0, math.nan, math.inf, "tiny", None, True, 10**400])
def test_positive_float_refuses(value) -> None:
    assert _refusal(positive_float, value, PATH).message.startswith("expected a finite number ≥ 0")


@pytest.mark.parametrize("value", [0.0, 1.0, 2.0, -1e-6])
def test_a_step_lies_strictly_between_0_and_1(value: float) -> None:
    error = _refusal(positive_float, value, PATH, step=True)
    assert error.message.startswith("expected a finite number > 0 and < 1")
    assert positive_float(0.5, PATH, step=True) == 0.5


def test_choice_and_method_names() -> None:
    assert choice("fail", ("report", "fail"), PATH, "kink policy") == "fail"
    error = _refusal(choice, "repot", ("report", "fail"), PATH, "kink policy")
    assert error.message == (
        "unknown kink policy 'repot'. Expected one of: report, fail. Did you mean 'report'?"
    )
    assert validate_method("central", PATH) == "central"
    assert "Did you mean 'central'?" in _refusal(validate_method, "centered", PATH).message
