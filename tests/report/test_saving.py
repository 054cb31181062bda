"""Outputs never overwrite an input, and a write that fails part-way leaves the old file whole."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from backprop_check import check
from backprop_check.errors import BackpropCheckError
from backprop_check.report import saving
from backprop_check.report.saving import refuse_inputs, save_arrays, write_text

from ..helpers import small_config


def _disk_full(*args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_a_write_that_fails_part_way_leaves_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text('{"previous": "good"}\n')

    def half_then_fail(handle) -> None:
        handle.write(b'{"new": "trunc')
        _disk_full()

    with pytest.raises(BackpropCheckError, match=r"report\.json: cannot write the report \(No sp"):
        saving.write_atomically(target, half_then_fail, what="the report")
    assert target.read_text() == '{"previous": "good"}\n'
    assert _leftovers(tmp_path) == ["report.json"]


def test_a_failing_flush_and_ctrl_c_leave_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "report.xml"
    target.write_text("<old/>\n")
    monkeypatch.setattr(saving.os, "fsync", _disk_full)
    with pytest.raises(BackpropCheckError, match="cannot write the report"):
        write_text(target, "<new/>\n" * 1000)
    monkeypatch.undo()

    def interrupted(handle) -> None:
        handle.write(b"<new")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        saving.write_atomically(target, interrupted, what="the report")
    assert target.read_text() == "<old/>\n"
    assert _leftovers(tmp_path) == ["report.xml"]


def test_arrays_whose_serializer_fails_part_way_leave_the_previous_file(
    tmp_path: Path, monkeypatch
) -> None:
    report = check(small_config())
    target = tmp_path / "arrays.npz"
    save_arrays(report, target)
    before = target.read_bytes()

    def savez_then_fail(handle, **arrays) -> None:
        handle.write(b"PK\x03\x04 half a zip")
        _disk_full()

    monkeypatch.setattr(saving.np, "savez", savez_then_fail)
    with pytest.raises(BackpropCheckError, match="cannot write the arrays file"):
        save_arrays(report, target)
    assert target.read_bytes() == before
    assert _leftovers(tmp_path) == ["arrays.npz"]
    with np.load(target) as arrays:
        assert "dW1" in arrays.files


def test_a_new_file_gets_the_usual_permissions_and_a_replaced_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    fresh = tmp_path / "fresh.md"
    write_text(fresh, "# new\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    kept = tmp_path / "kept.md"
    kept.write_text("old\n")
    kept.chmod(0o640)
    write_text(kept, "new\n")
    assert (kept.read_text(), stat.S_IMODE(kept.stat().st_mode)) == ("new\n", 0o640)


def test_inputs_are_recognised_through_symlinks_hard_links_and_dots(tmp_path: Path) -> None:
    config = tmp_path / "net.yaml"
    config.write_text("input_size: 4\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.yaml").symlink_to(config)
    os.link(config, tmp_path / "hard.yaml")
    for alias in ("link.yaml", "hard.yaml", "sub/../net.yaml"):
        with pytest.raises(BackpropCheckError, match="refusing to write over an input file"):
            write_text(tmp_path / alias, "oops", protect=[config])
    # The input named through a link is protected as well as the link itself.
    with pytest.raises(BackpropCheckError, match="refusing to write over an input file"):
        refuse_inputs(config, [tmp_path / "link.yaml"])
    assert config.read_text() == "input_size: 4\n"
    refuse_inputs(tmp_path / "other.json", [config])  # anything else is fine


def test_a_symlinked_output_is_written_through_its_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    (tmp_path / "link.json").symlink_to(real)
    write_text(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink()
    assert real.read_text() == "new"


def test_without_following_links_a_dangling_link_is_replaced_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.yaml"
    link = tmp_path / "link.yaml"
    link.symlink_to(elsewhere)
    write_text(link, "mine", what="the config", follow_symlinks=False)
    assert not link.is_symlink()
    assert link.read_text() == "mine"
    assert not elsewhere.exists()
