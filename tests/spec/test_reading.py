"""Reading a config file: text, YAML and its positions, and the bounds on what a file can cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop_check import ConfigError, load_config

from ..helpers import FULL, write

# Each case: (file text, expected message after "<path>, ").
ERRORS = [
    (
        FULL.replace("batch_size: 8", "batch_size: 8\ninput_size: 5"),
        "line 8, column 1, key 'input_size': appears twice in the same mapping.",
    ),
    (FULL.replace("layers:\n", "layers: [\n"), "line 3, column 3: is not valid YAML"),
    ("", "is empty, expected a YAML mapping."),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_yaml_errors_name_the_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    separator = ": " if expected.startswith("is ") else ", "
    assert str(caught.value).startswith(f"{path}{separator}{expected}")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is a directory, expected a YAML file"):
        load_config(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\x89PNG\xff\xfe\x00\x01")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_config(path)
