"""Domain errors: one paragraph, a key path, options named by the caller, OS errors as words."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from backprop_check.errors import (
    BackpropCheckError,
    ConfigError,
    DataError,
    Option,
    file_problem,
    format_key_path,
    quote_input,
)


def test_a_domain_error_carries_its_key_path_and_prints_its_message() -> None:
    error = BackpropCheckError("expected a whole number ≥ 1, found 0.", key_path=("seed",))
    assert error.key_path == ("seed",)
    assert str(error) == error.message == "expected a whole number ≥ 1, found 0."
    assert not error.from_option
    assert BackpropCheckError("whole file").key_path == ()


def test_a_data_error_is_a_domain_error_at_data_path_unless_told() -> None:
    assert isinstance(DataError("x"), BackpropCheckError)
    assert DataError("x").key_path == ("data", "path")
    assert DataError("x", ("data", "target")).key_path == ("data", "target")


def test_a_config_error_is_located_by_file_line_column_and_key() -> None:
    error = ConfigError(
        "unknown key.", source="net.yaml", key_path=("layers", 0, "units"), line=4, column=13
    )
    assert str(error) == "net.yaml, line 4, column 13, key 'layers[0].units': unknown key."
    assert error.key == "layers[0].units"
    assert str(ConfigError("is empty.", source="net.yaml")) == "net.yaml: is empty."


def test_options_are_named_by_whoever_shows_the_error() -> None:
    error = ConfigError(
        ("choose either ", Option("sample"), " or ", Option("batch_size"), "."),
        source="command line",
        key_path=("batch_size",),
        from_option=True,
    )
    assert str(error) == "command line, option 'batch_size': choose either sample or batch_size."
    flags = error.with_option_names(lambda key: "--" + key.replace("_", "-"))
    assert str(flags) == (
        "command line, option '--batch-size': choose either --sample or --batch-size."
    )
    assert flags.key == "--batch-size"
    assert isinstance(flags, ConfigError)
    assert str(error).startswith("command line, option 'batch_size'")  # the original unchanged


def test_errors_stay_one_paragraph() -> None:
    error = ConfigError("bad\nkey\x00.", source="a\nb.yaml", key_path=("x\ny",))
    assert "\n" not in str(error)
    assert "\\n" in str(error)
    assert "\\x00" in str(error)


def test_long_input_is_quoted_short() -> None:
    assert quote_input("a" * 10) == "a" * 10
    quoted = quote_input("a" * 10_000)
    assert len(quoted) == 60
    assert quoted.endswith("…")
    assert format_key_path(("k" * 1000, 3, "units")).startswith("k" * 59 + "…[3].units")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (FileNotFoundError(errno.ENOENT, "No such file or directory"), "not found"),
        (IsADirectoryError(errno.EISDIR, "Is a directory"), "is a directory"),
        (PermissionError(errno.EACCES, "Permission denied"), "cannot be read (permission denied)"),
        (OSError("disk on fire"), "cannot be read (disk on fire)"),
    ],
)
def test_os_errors_become_words(error: OSError, words: str) -> None:
    assert file_problem(error) == words


def test_os_errors_name_what_was_being_done(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        (tmp_path / "missing" / "report.json").write_text("{}")
    assert file_problem(caught.value, doing="written") == "not found"
    error = PermissionError(errno.EACCES, "Permission denied")
    assert file_problem(error, doing="written") == "cannot be written (permission denied)"
