""".npz archives: each member checked from its header before anything is unpacked; other
members never read."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from backprop_check import load_config

from ..helpers import bytes_read, config_error, npz_config, random_batch


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        stream, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return stream.getvalue()


def _archive(tmp_path: Path, members: dict[str, bytes]) -> Path:
    config = npz_config(tmp_path, {})  # writes batch.npz, replaced here
    with zipfile.ZipFile(tmp_path / "batch.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return config


def _npy(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array(stream, array, allow_pickle=True)
    return stream.getvalue()


def test_an_array_declaring_10_to_the_12_numbers_is_refused_from_its_header(
    tmp_path: Path,
) -> None:
    x = _npy_header((10**12, 4)) + bytes(64)  # the data is not there: it is never read
    path = _archive(tmp_path, {"x.npy": x, "y.npy": _npy(np.eye(3)[[0, 1, 2, 0]])})
    with bytes_read() as count:
        error = config_error(path)
    assert count[0] < 2**20
    assert error.key == "data.path"
    assert error.message == (
        "batch.npz: array 'x' would take 29802.3 GiB, more than the memory budget of 512.0 MiB "
        "leaves; is this the right file?"
    )


def test_a_zip_bomb_member_is_refused_from_its_zip_entry(tmp_path: Path) -> None:
    path = _archive(
        tmp_path, {"x.npy": _npy(np.zeros((4, 4))), "y.npy": _npy(np.eye(3)[[0, 1, 2, 0]])}
    )
    # The zip entries of x now claim 4 GiB unpacked (local header and central directory).
    archive = bytearray((tmp_path / "batch.npz").read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = archive.index(signature)
        archive[at + offset : at + offset + 4] = (2**32 - 2).to_bytes(4, "little")
    (tmp_path / "batch.npz").write_bytes(bytes(archive))
    error = config_error(path)
    assert error.message.startswith("batch.npz: array 'x' would take 4.0 GiB, more than the")


def test_pickled_objects_are_never_loaded(tmp_path: Path) -> None:
    objects = np.array([[{"a": 1}] * 4] * 4, dtype=object)
    path = _archive(tmp_path, {"x.npy": _npy(objects), "y.npy": _npy(np.eye(3)[[0, 1, 2, 0]])})
    assert config_error(path).message == (
        "batch.npz: array 'x' holds Python objects (a pickle), which bpcheck never loads; "
        "save numbers."
    )


def test_a_plain_npy_named_npz_is_a_clear_error(tmp_path: Path) -> None:
    path = npz_config(tmp_path, {})
    np.save(tmp_path / "batch.npy", np.zeros((4, 4)))
    (tmp_path / "batch.npy").replace(tmp_path / "batch.npz")
    assert config_error(path).message == (
        "batch.npz is a single .npy array, not an .npz archive of named arrays; write one with "
        "np.savez(path, x=x, y=y)."
    )


def test_other_members_are_ignored_unread(tmp_path: Path, rng) -> None:
    arrays = random_batch(rng)
    path = _archive(
        tmp_path,
        {
            "x.npy": _npy(arrays["x"]),
            "y.npy": _npy(arrays["y"]),
            "notes.npy": b"not an array at all",
            "huge.npy": _npy_header((10**12,)),
            "W9.npy": _npy(np.array([{}], dtype=object)),
        },
    )
    data = load_config(path).data
    np.testing.assert_array_equal(data.x, arrays["x"])
    assert data.weights is None
