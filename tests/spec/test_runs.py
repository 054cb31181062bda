"""Expanding the paths of a run: files, folders of configs and globs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from backprop_check.errors import BackpropCheckError
from backprop_check.spec.runs import collect_configs

from ..helpers import small_config


def _folder(tmp_path: Path, **configs: dict) -> Path:
    folder = tmp_path / "configs"
    folder.mkdir()
    for name, config in configs.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(config))
    return folder


def test_collect_folders_globs_and_files(tmp_path: Path) -> None:
    folder = _folder(tmp_path, b=small_config(), a=small_config())
    (folder / "notes.txt").write_text("not a config")
    assert collect_configs([folder]) == [folder / "a.yaml", folder / "b.yaml"]
    assert collect_configs([str(folder / "*.yaml"), folder / "a.yaml"]) == [
        folder / "a.yaml",
        folder / "b.yaml",
    ]
    assert collect_configs([tmp_path / "missing.yaml"]) == [tmp_path / "missing.yaml"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackpropCheckError, match=r"no \.yaml or \.yml configs in this folder"):
        collect_configs([tmp_path / "empty"])
    with pytest.raises(BackpropCheckError, match="no file matches this pattern"):
        collect_configs([str(tmp_path / "*.nothing")])
