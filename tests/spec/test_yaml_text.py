"""Checks on a config's text before parsing: forbidden characters, and flow nesting counted
outside quoted scalars and comments."""

from __future__ import annotations

import pytest

from backprop_check.spec.yaml_text import TextError, check_text


def _refusal(text: str, max_depth: int = 3) -> TextError:
    with pytest.raises(TextError) as caught:
        check_text(text, max_depth=max_depth)
    return caught.value


@pytest.mark.parametrize(
    "text",
    [
        "a: [[[1]]]\n",
        "a: [[[1]], [[2]], {b: [3]}]\n",  # wide, not deep
        "a: '[[[[[['\n",
        'a: "[[[[\\"[[["\n',
        "a: 'it''s [[[[['\n",
        "# [[[[[[[[\na: 1\n",
        "a: 1  # {{{{{{{\n",
        "f: where(x > 0, x, 0)\n",
        "\ufeffa: 1\n",  # a byte-order mark first is allowed
    ],
)
def test_text_within_the_limits_passes(text: str) -> None:
    check_text(text, max_depth=3)


def test_the_first_bracket_too_deep_is_located() -> None:
    error = _refusal("a: 1\nb: [[[[1]]]]\n")
    assert (error.line, error.column) == (2, 7)
    assert error.message == "is nested more than 3 levels deep; a config needs a few."


def test_brackets_after_a_quote_inside_a_plain_scalar_still_count() -> None:
    # "don't" opens no quoted scalar, so the brackets after it are seen.
    assert _refusal("a: don't [[[[1]]]]\n").column == 13


@pytest.mark.parametrize(
    ("text", "code", "kind"),
    [
        ("a: \x01\n", 0x01, "control character"),
        ("a: \x7f\n", 0x7F, "control character"),
        ("a: \x9f\n", 0x9F, "control character"),
        ("a: \ufffe\n", 0xFFFE, "character"),
        ("a: b\ufeff\n", 0xFEFF, "character"),
    ],
)
def test_characters_yaml_forbids_are_located(text: str, code: int, kind: str) -> None:
    error = _refusal(text)
    assert (error.line, error.column) == (1, text.index(chr(code)) + 1)
    assert error.message == f"is not valid YAML: {kind} #x{code:04x} is not allowed."
