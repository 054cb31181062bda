"""Input files must be regular files: a FIFO, a device, a pipe or a directory named as the data
file is refused at once (a config's own path: tests/spec/test_reading.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backprop_check import ConfigError, load_config
from backprop_check.errors import NotARegularFileError
from backprop_check.spec.files import open_regular, read_regular, shown_path

from ..helpers import hard_deadline, small_config


def _data_error(path: str) -> ConfigError:
    target = {"target": "y"} if path.endswith(".csv") else {}
    with hard_deadline(), pytest.raises(ConfigError) as caught:
        load_config(small_config(data={"path": path, **target}))
    assert caught.value.key == "data.path"
    return caught.value


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_a_fifo_as_data_is_refused_at_once(tmp_path: Path, suffix: str) -> None:
    fifo = tmp_path / f"batch{suffix}"
    os.mkfifo(fifo)
    error = _data_error(str(fifo))
    assert error.message.startswith(f"data file {fifo} is a named pipe (FIFO), not a regular file")


def test_a_device_as_data_is_refused_before_it_is_read(tmp_path: Path) -> None:
    (tmp_path / "zero.npz").symlink_to("/dev/zero")
    error = _data_error(str(tmp_path / "zero.npz"))
    assert "is a character device, not a regular file" in error.message


def test_a_directory_as_data_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.npz").mkdir()
    assert "is a directory" in _data_error(str(tmp_path / "folder.npz")).message


def test_a_pipe_that_never_ends_is_refused(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    try:
        (tmp_path / "yes.csv").symlink_to(f"/dev/fd/{read_end}")
        assert "named pipe" in _data_error(str(tmp_path / "yes.csv")).message
    finally:
        os.close(read_end)
        os.close(write_end)


def test_open_regular_reads_regular_files_only(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"0123456789")
    with open_regular(path) as handle:
        assert handle.read() == b"0123456789"
    assert read_regular(path, limit=3) == b"0123"  # one byte more than the limit: "longer"
    os.mkfifo(tmp_path / "fifo")
    with hard_deadline(), pytest.raises(NotARegularFileError) as caught:
        open_regular(tmp_path / "fifo")
    assert caught.value.kind == "a named pipe (FIFO)"
    with pytest.raises(IsADirectoryError):
        open_regular(tmp_path)
    with pytest.raises(FileNotFoundError):
        open_regular(tmp_path / "missing")


def test_long_paths_are_shown_by_their_end() -> None:
    assert shown_path(Path("/a/b.csv")) == "/a/b.csv"
    shown = shown_path(Path("/" + "d" * 500 + "/batch.csv"))
    assert len(shown) == 120
    assert shown.startswith("…")
    assert shown.endswith("/batch.csv")
