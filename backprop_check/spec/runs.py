"""Several configs in one go: a folder, some files or a glob, each checked on its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import BackpropCheckError

__all__ = ["collect_configs"]

_SUFFIXES = (".yaml", ".yml")


def collect_configs(sources: Sequence[str | Path]) -> list[Path]:
    """The config files named by ``sources``: files as given, folders' YAML files sorted, globs
    expanded. A file that does not exist is kept, so that its run can report it as invalid."""
    paths: list[Path] = []
    for source in sources:
        text = str(source)
        if any(char in text for char in "*?[") and not Path(text).exists():
            import glob  # here: most runs name their configs

            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise BackpropCheckError(f"{text}: no file matches this pattern.")
            paths.extend(Path(match) for match in matches if Path(match).is_file())
            continue
        path = Path(text)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in _SUFFIXES)
            if not found:
                raise BackpropCheckError(f"{path}: no .yaml or .yml configs in this folder.")
            paths.extend(found)
        else:
            paths.append(path)
    # The same file named twice (a folder and a glob) is checked once.
    unique: list[Path] = []
    for path in paths:
        if path not in unique:
            unique.append(path)
    return unique
