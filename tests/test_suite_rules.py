"""Rules the suite keeps so that it is green on a loaded 2-core machine (issue 11 (q)).

No test asserts wall-clock time against a fixed number of seconds (resource bounds are counts, or
a baseline measured in the same test with a generous factor: helpers.assert_no_slower_than_a_check)
and no hypothesis setting has a deadline: a slow example on a busy machine is not a failure, and
hangs are stopped by helpers.hard_deadline. Read from the test sources themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# Names that hold a duration in this suite's tests.
_DURATIONS = ("elapsed", "seconds", "took", "duration", "wall")
_CLOCKS = ("perf_counter", "monotonic", "process_time")


def _sources() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(TESTS)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(TESTS.rglob("*.py"))
    }


def _is_duration(node: ast.expr) -> bool:
    """A name for a duration, or an expression that reads a clock."""
    for part in ast.walk(node):
        name = part.id if isinstance(part, ast.Name) else getattr(part, "attr", "")
        if any(word in name.lower() for word in _DURATIONS) or name in _CLOCKS:
            return True
    return False


def _fixed(node: ast.expr) -> bool:
    """A number written in the test: a literal, a module constant, or arithmetic of those.
    Zero is no bound on time (a duration above 0 is a positive one)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and node.value != 0
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.BinOp):
        return _fixed(node.left) and _fixed(node.right)
    return isinstance(node, ast.UnaryOp) and _fixed(node.operand)


def timed_assertions(tree: ast.Module) -> list[int]:
    """Lines of `assert <duration> < <fixed number>` (either side, any comparison)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare):
            sides = [node.test.left, *node.test.comparators]
            if any(map(_is_duration, sides)) and any(map(_fixed, sides)):
                lines.append(node.lineno)
    return sorted(lines)


def deadlines(tree: ast.Module) -> list[int]:
    """Lines setting a hypothesis deadline to anything but None (keyword or dict key)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "deadline":
            value = node.value
        elif isinstance(node, ast.Dict):
            pairs = zip(node.keys, node.values, strict=True)
            value = next((v for k, v in pairs if getattr(k, "value", None) == "deadline"), None)
            if value is None:
                continue
        else:
            continue
        if not (isinstance(value, ast.Constant) and value.value is None):
            lines.append(value.lineno)
    return sorted(lines)


def test_no_test_asserts_wall_clock_time_against_a_fixed_number() -> None:
    found = {name: lines for name, tree in _sources().items() if (lines := timed_assertions(tree))}
    assert found == {}


def test_no_hypothesis_setting_has_a_deadline() -> None:
    found = {name: lines for name, tree in _sources().items() if (lines := deadlines(tree))}
    assert found == {}


def test_the_rules_find_what_they_look_for() -> None:
    # What issue 11 (q) found in the suite: a 2 s assertion and a 2 s hypothesis deadline.
    timed = ast.parse(
        "assert elapsed < 2.0\nassert 2 > took\n"
        "assert time.perf_counter() - start < 0.1\nassert seconds < TIME_LIMIT\n"
    )
    assert timed_assertions(timed) == [1, 2, 3, 4]
    assert timed_assertions(ast.parse("assert elapsed < 10 * baseline\n")) == []
    settings = ast.parse('s(deadline=2000)\nd = {"deadline": 2.0}\ns(deadline=None)\n')
    assert deadlines(settings) == [1, 2]
