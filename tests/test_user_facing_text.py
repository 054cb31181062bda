"""What users read speaks of our own docs: every mention of the derivation we started from points to
a section of docs/derivation.md, never to "the seed" or "NOTES.md", which users cannot look up.

Scanned: every string of the package (messages, help, docstrings), the shipped configs and
examples, the starter, the README, and what --help, explain, selftest and schema print. A random
number generator's seed (the ``seed:`` key, ``--seed``, "same seed, same numbers") is not the
derivation, and only those exact uses are let through.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop_check.cli import main
from backprop_check.core.activations import ACTIVATIONS
from backprop_check.core.backprop import SPECIAL_CASES
from backprop_check.judge.selftest import MUTANTS

from .helpers import ROOT

PACKAGE = ROOT / "backprop_check"
DERIVATION = ROOT / "docs" / "derivation.md"
SHIPPED = sorted(
    path
    for folder in (ROOT / "configs", PACKAGE / "templates")
    for path in folder.rglob("*")
    if path.suffix in {".yaml", ".yml", ".py"}
)

_MENTION = re.compile(r"NOTES\.md|\bseed\b", re.IGNORECASE)
# The random number generator's seed, exactly as the package and the configs speak of it.
_RNG_SEED = re.compile(
    r"(?:random|generator's|same|overrides)\s+seed\b|``seed``|--seed\b|\"seed\":|^\s*#?\s*seed:",
    re.IGNORECASE | re.MULTILINE,
)
_LINK = re.compile(r"docs/derivation\.md#([\w-]+)")


def derivation_mentions(text: str) -> list[str]:
    """Where ``text`` speaks of the seed or NOTES.md other than as a random seed, in context."""
    if text.strip(" ·:").lower() == "seed":  # a key's or a column's name
        return []
    allowed = {match.start() + match.group().lower().rfind("seed") for match in _rng(text)}
    return [
        text[max(0, match.start() - 30) : match.end() + 30]
        for match in _MENTION.finditer(text)
        if match.start() not in allowed
    ]


def _rng(text: str) -> Iterator[re.Match[str]]:
    return _RNG_SEED.finditer(text)


def _package_strings() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.value


def _outputs() -> Iterator[tuple[str, str]]:
    runner = CliRunner()
    commands = [["--help"], ["schema"], ["selftest"]]
    commands += [[name, "--help"] for name in main.commands]
    commands += [["explain", str(path)] for path in sorted((ROOT / "configs").glob("*.yaml"))]
    for args in commands:
        result = runner.invoke(main, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, (args, result.output)
        yield f"bpcheck {' '.join(args)}", result.stdout + result.stderr


def _all_texts() -> Iterator[tuple[str, str]]:
    yield from _package_strings()
    for path in [*SHIPPED, ROOT / "README.md"]:
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    yield from _outputs()


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    return list(_all_texts())


def test_nothing_a_user_reads_speaks_of_the_seed_or_notes(texts: list[tuple[str, str]]) -> None:
    assert len(texts) > 500
    found = [(where, mention) for where, text in texts for mention in derivation_mentions(text)]
    assert found == []


@pytest.mark.parametrize(
    "text",
    [
        "'softmax' is only allowed in the output layer, as in the seed §3.3",
        "Check backpropagation (the seed's Equations 1–4)",
        "sign fixed as in NOTES.md",
        "# ReLU output + mean squared error (seed §3.1.1):",
        "as the Seed defines",
    ],
)
def test_the_scan_finds_a_mention_of_the_derivation(text: str) -> None:
    assert derivation_mentions(text)


@pytest.mark.parametrize(
    "text",
    [
        "seed",
        " · seed ",
        "--seed",
        "Random seed for weights and data (overrides seed).",
        "seed: 0                          # same seed, same weights and data, same numbers",
        "the random number generator's seed: same seed, same numbers",
        '{"seed": {"type": "integer"}}',
    ],
)
def test_the_scan_lets_a_random_seed_through(text: str) -> None:
    assert derivation_mentions(text) == []


def _anchors() -> set[str]:
    return set(re.findall(r"""<a id="([\w-]+)"></a>""", DERIVATION.read_text(encoding="utf-8")))


def test_every_link_into_the_derivation_has_its_section(texts: list[tuple[str, str]]) -> None:
    anchors = _anchors()
    assert {"eq-1", "eq-4", "relu-mse", "sigmoid-bce", "softmax-cce", "batch", "errata"} <= anchors
    links = {(where, anchor) for where, text in texts for anchor in _LINK.findall(text)}
    registered = {activation.section for activation in ACTIVATIONS.values()}
    registered |= {case.section for case in SPECIAL_CASES.values()}
    registered |= {case.remark for case in SPECIAL_CASES.values()}
    links |= {("registry", anchor) for anchor in registered if anchor}
    links |= {("selftest", anchor) for m in MUTANTS for anchor in _LINK.findall(m.origin)}
    assert len(links) >= 15
    assert sorted(link for link in links if link[1] not in anchors) == []


def test_a_missing_section_is_found(tmp_path: Path) -> None:
    assert "no-such-section" not in _anchors()
    assert _LINK.findall("see docs/derivation.md#no-such-section.") == ["no-such-section"]
