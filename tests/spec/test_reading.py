"""Reading a config file: text, YAML and its positions, and the bounds on what a file can cost."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from backprop_check import ConfigError, load_config
from backprop_check.spec.reading import YAML_LOADERS, read_document

from ..helpers import CONFIGS, FULL, hard_deadline, write

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


# ----------------------------------------------------------------------------- merges


MERGE = """\
input_size: 4
layers:
  - &base {units: 3, activation: relu}
  - {<<: *base, units: 5}
  - <<: [*base]
    activation: softmax
loss: cce
"""


def test_a_merge_with_an_override_is_accepted(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MERGE))
    assert [(layer.units, layer.activation) for layer in config.layers] == [
        (3, "relu"),
        (5, "relu"),
        (3, "softmax"),
    ]
    assert config.locations["layers[1].units"] == (4, 24)  # the override, not the base


def test_a_real_duplicate_key_next_to_a_merge_is_still_refused(tmp_path: Path) -> None:
    text = MERGE.replace("{<<: *base, units: 5}", "{<<: *base, units: 5, units: 6}")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert str(caught.value) == (
        f"{tmp_path / 'config.yaml'}, line 4, column 27, key 'layers[1].units': "
        "appears twice in the same mapping."
    )


def test_merging_something_other_than_a_mapping_is_refused(tmp_path: Path) -> None:
    text = "input_size: &n 4\nlayers:\n  - {<<: *n, units: 3, activation: linear}\nloss: mse\n"
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert str(caught.value) == (
        f"{tmp_path / 'config.yaml'}, line 3, column 6, key 'layers[0]': a merge (<<) takes a "
        "mapping or a list of mappings, such as <<: *base."
    )


def test_a_merge_bomb_is_bounded(tmp_path: Path) -> None:
    # Each level merges the one below ten times: 10**7 copies of one pair if merges were expanded
    # eagerly; the merged mapping has one key however often it is merged.
    lines = ["a0: &a0 {k: 1}"]
    lines += [f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 10)}]}}" for i in range(1, 8)]
    text = "\n".join(lines) + "\ninput_size: 4\n"
    with hard_deadline(), pytest.raises(ConfigError, match="unknown key 'a0'"):
        load_config(write(tmp_path, text))


# ----------------------------------------------------------------------------- bounds


def _alias_bomb(levels: int, *, as_keys: bool) -> str:
    """Nine strings, then each level nine aliases of the one below: 9**levels strings.

    As a key, every anchor is defined inside the one key (a list), so no value expands first.
    """
    anchors = ['&a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    anchors += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    if as_keys:
        return f"? [{', '.join(anchors)}]\n: 1\n"
    return "".join(f"a{i}: {anchor}\n" for i, anchor in enumerate(anchors))


@pytest.mark.parametrize("as_keys", [False, True], ids=["value", "key"])
def test_an_alias_bomb_is_refused_as_a_value_and_as_a_key(tmp_path: Path, as_keys: bool) -> None:
    path = write(tmp_path, _alias_bomb(7, as_keys=as_keys))
    with hard_deadline(), pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert re.search(r"YAML nodes|keys must be names", message), message
    assert len(message) < 400, message[:1000]


def test_a_mapping_as_a_key_is_refused_without_building_it(tmp_path: Path) -> None:
    path = write(tmp_path, "? {units: 3}\n: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}, line 1, column 3: keys must be names, found a mapping.")


def test_deep_nesting_is_refused_before_parsing(tmp_path: Path) -> None:
    # PyYAML's pure-Python scanner takes minutes on this (quadratic in the depth); the depth is
    # checked on the text first, so this is refused whatever the loader, or stopped as a hang.
    path = write(tmp_path, "input_size: 4\ncheck: " + "[" * 100_000 + "]" * 100_000 + "\n")
    with hard_deadline(), pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}, line 2, column 40: is nested more than 32 levels deep; a config needs a few."
    )


@pytest.mark.parametrize("loader", YAML_LOADERS, ids=lambda loader: loader.__name__)
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: *width\n", "line 1, column 7: is not valid YAML: found undefined alias 'width'."),
        ("seed:\n\t- 1\n", "line 2, column 1: is not valid YAML: "),
        ("seed: 1\n  x: 2\n", "line 2, column 4: is not valid YAML: mapping values are not"),
        ("seed: [1, 2\nb: 3\n", "line 2, column 2: is not valid YAML: "),
        ("a: 1\nseed: \x01\n", "line 2, column 7: is not valid YAML: control character #x0001"),
        ("a: 'é'\nseed: \x7f\n", "line 2, column 7: is not valid YAML: control character #x007f"),
        ("seed: !!python/name:os.system x\n", "line 1, column 7: is not valid YAML: "),
        ("seed: 1\nseed: 2\n", "line 2, column 1, key 'seed': appears twice in the same mapping."),
        (
            "seed: &a [*a]\n",
            "line 1, column 7, key 'seed[0][0][0]…': is nested more than 32 levels deep",
        ),
    ],
)
def test_every_loader_locates_errors_alike(
    tmp_path: Path, loader: type, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_document(path, loader=loader)
    assert str(caught.value).startswith(f"{path}, {message}"), str(caught.value)


def test_the_c_loader_is_used_where_present() -> None:
    assert YAML_LOADERS[-1].__mro__[1] is yaml.SafeLoader
    if hasattr(yaml, "CSafeLoader"):
        assert YAML_LOADERS[0].__mro__[1] is yaml.CSafeLoader


@pytest.mark.parametrize("loader", YAML_LOADERS, ids=lambda loader: loader.__name__)
def test_every_loader_reads_the_shipped_configs_alike(loader: type) -> None:
    for path in CONFIGS:
        document = read_document(path, loader=loader)
        reference = read_document(path, loader=YAML_LOADERS[-1])
        assert document.data == reference.data
        assert document.values == reference.values
        assert document.keys == reference.keys


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("input_size: 1e400\n", "input_size"),
        ("input_size: 4\nlayers:\n  - {units: 1e400, activation: relu}\n", "layers[0].units"),
        ("input_size: 4\ncheck: {eps: -1.5e999}\n", "check.eps"),
    ],
)
def test_a_number_beyond_the_largest_float_is_refused(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.key == key
    assert "beyond the largest float" in caught.value.message


# ----------------------------------------------------------------------------- files


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    with hard_deadline(), pytest.raises(ConfigError) as caught:
        load_config(fifo)
    assert str(caught.value) == (
        f"{fifo}: is a named pipe (FIFO), not a regular file; expected a YAML file."
    )


def test_a_device_is_refused_before_it_is_read() -> None:
    with hard_deadline(), pytest.raises(ConfigError) as caught:
        load_config("/dev/zero")
    assert str(caught.value) == (
        "/dev/zero: is a character device, not a regular file; expected a YAML file."
    )


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a directory, expected a YAML file."


def test_a_pipe_from_process_substitution_is_refused(tmp_path: Path) -> None:
    # What bash's <(yes) hands over: /dev/fd/N, the read end of a pipe that never ends.
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, b"y\n" * 1000)
        with hard_deadline(), pytest.raises(ConfigError, match="named pipe"):
            load_config(f"/dev/fd/{read_end}")
    finally:
        os.close(read_end)
        os.close(write_end)
