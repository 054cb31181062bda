"""What a user looks for beside the code: the licence pyproject names, and the documented ways to
see the version, turn colour off and complete commands in the shell, each of which works."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from backprop_check import __version__
from backprop_check.cli import main

from .helpers import ROOT

DOCS = "\n".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").rglob("*.md")))


def test_the_licence_file_is_the_one_pyproject_names() -> None:
    # tomllib is 3.11+; the one line is enough.
    declared = re.search(
        r'^license = \{ text = "([^"]+)" \}$',
        (ROOT / "pyproject.toml").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert declared is not None
    name = declared[1]
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.splitlines()[0] == f"{name} License"
    assert "Permission is hereby granted, free of charge" in licence


def test_the_documented_version_option_prints_the_version() -> None:
    assert "bpcheck --version" in DOCS
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_no_color_is_documented() -> None:
    assert "NO_COLOR=1" in DOCS


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_documented_completion_command_prints_a_script(shell: str) -> None:
    variable = re.search(r"(_BPCHECK_COMPLETE)=bash_source bpcheck", DOCS)
    assert variable is not None
    assert f"{shell}_source" in DOCS
    bpcheck = os.path.join(os.path.dirname(sys.executable), "bpcheck")
    env = {**os.environ, variable[1]: f"{shell}_source"}
    done = subprocess.run([bpcheck], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "_BPCHECK_COMPLETE" in done.stdout


def _tracked_text_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False, text=True
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    suffixes = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".svg", ""}
    return [
        name for name in listed.stdout.split("\0") if name and os.path.splitext(name)[1] in suffixes
    ]


def test_no_tracked_file_keeps_a_merge_conflict_marker() -> None:
    # A merge once committed its markers into the README and every other test stayed green.
    marker = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)
    marked = [
        name
        for name in _tracked_text_files()
        if (ROOT / name).is_file()
        and marker.search((ROOT / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert marked == []
