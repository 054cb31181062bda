"""The README's examples run as written: every `bpcheck ...` line of its shell code blocks, from a
copy of the repository's layout, with the exit status the README gives (`# exit N`, else 0)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop_check.cli import main

from .helpers import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_SHELL_BLOCK = re.compile(r"^```(?:sh|bash|shell|console)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_EXIT = re.compile(r"#\s*exit\s+(\d+)")
# Options whose value is a file the command writes, not one it reads.
_WRITES = {"--output", "--save-arrays", "--plot"}


@dataclass(frozen=True)
class Example:
    document: str
    line: str
    commands: tuple[tuple[str, ...], ...]  # the bpcheck commands of the line, in order
    status: int  # what the last one exits with
    documented: bool  # the README says the status explicitly

    def inputs(self) -> list[str]:
        """The files the commands read, for those that a command of the line does not write."""
        written, read = set(), []
        for args in self.commands:
            for i, arg in enumerate(args):
                previous = args[i - 1] if i else ""
                if previous in _WRITES or (args[:1] == ("init",) and i == 1):
                    written.add(arg)
                elif not arg.startswith("-") and ("/" in arg or Path(arg).suffix):
                    read.append(arg)
        return [path for path in read if path not in written]


def _examples() -> list[Example]:
    found = []
    for document in DOCUMENTS:
        for block in _SHELL_BLOCK.findall(document.read_text(encoding="utf-8")):
            for line in block.splitlines():
                code, _, comment = line.partition(" #")
                commands = tuple(
                    tuple(shlex.split(part)[1:])
                    for part in code.split("&&")
                    if shlex.split(part)[:1] == ["bpcheck"]
                )
                if commands:
                    status = _EXIT.search("#" + comment)
                    found.append(
                        Example(
                            document=document.name,
                            line=line.strip(),
                            commands=commands,
                            status=int(status[1]) if status else 0,
                            documented=status is not None,
                        )
                    )
    return found


EXAMPLES = _examples()
# Examples that name files we do not ship (your own my_backprop.py) cannot run here; the rest do.
RUNNABLE = [
    example
    for example in EXAMPLES
    if example.documented or all((ROOT / path).exists() for path in example.inputs())
]


def test_the_readme_has_examples_to_run() -> None:
    assert len(RUNNABLE) >= 12
    assert {example.status for example in RUNNABLE} >= {0, 1, 2}


@pytest.mark.parametrize("example", RUNNABLE, ids=lambda example: example.line)
def test_a_readme_example_runs_as_written(example: Example, tmp_path: Path, monkeypatch) -> None:
    # The repository's configs, read-only to the example; whatever it writes lands in tmp_path.
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    runner = CliRunner()
    *first, last = example.commands
    for args in first:
        result = runner.invoke(main, list(args))
        assert result.exit_code == 0, f"{' '.join(args)}:\n{result.output}"
    result = runner.invoke(main, list(last))
    assert result.exit_code == example.status, result.output
    assert "Traceback" not in result.output
