"""The pytest plugin: `pytest --bpcheck PATH` turns configs into test items."""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

from .helpers import CONFIGS, ROOT, impl_project, small_config

pytest_plugins = ["pytester"]


def _run(pytester, *args: str):
    """An inner pytest session of its own, not this project's settings (warnings as errors)."""
    ini = pytester.makeini("[pytest]\n")
    return pytester.runpytest("-c", str(ini), "--rootdir", str(pytester.path), *args)


def test_configs_become_items_named_after_their_files(pytester) -> None:
    result = _run(pytester, "--bpcheck", str(ROOT / "configs"), "-v")
    result.assert_outcomes(passed=len(CONFIGS))
    result.stdout.fnmatch_lines(
        [
            f"bpcheck: {len(CONFIGS)} configs collected from --bpcheck; the project's tests are "
            "left out (--bpcheck-with-tests adds them)",
            f"collecting ... collected {len(CONFIGS)} items",
            "*relu_kinks.yaml::gradients PASSED*",
            "*softmax_cce.yaml::gradients PASSED*",
        ]
    )


_HOST_TEST = """
def test_of_the_host_project():
    assert False, "the host project's suite ran"
"""


def test_only_the_configs_run_unless_tests_are_asked_for(pytester) -> None:
    pytester.makepyfile(test_host=_HOST_TEST)
    config = str(ROOT / "configs" / "relu_mse.yaml")
    only = _run(pytester, "--bpcheck", config)
    only.assert_outcomes(passed=1)
    only.stdout.fnmatch_lines(["collected 1 item"])
    # Test paths on the command line, or --bpcheck-with-tests: the host's tests run too.
    for extra in (["test_host.py"], ["--bpcheck-with-tests"]):
        both = _run(pytester, "--bpcheck", config, *extra)
        both.assert_outcomes(passed=1, failed=1)
        both.stdout.fnmatch_lines(["collected 2 items", "*the host project's suite ran*"])


def test_without_bpcheck_the_plugin_collects_nothing(pytester) -> None:
    pytester.makepyfile(test_host=_HOST_TEST.replace("False", "True"))
    (pytester.path / "net.yaml").write_text(yaml.safe_dump(small_config()))
    result = _run(pytester)
    result.assert_outcomes(passed=1)
    assert "bpcheck:" not in result.stdout.str()


def test_a_failing_config_shows_the_table(pytester, tmp_path: Path) -> None:
    config = tmp_path / "wrong.yaml"
    config.write_text(yaml.safe_dump(small_config()))
    impl = tmp_path / "mine.py"
    impl.write_text(
        textwrap.dedent("""
        def grad_b(phi):
            return 2 * phi
    """)
    )
    result = _run(pytester, "--bpcheck", str(config), "--bpcheck-impl", str(impl))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Cause: ∇b³, Eq. 4 at layer 3, from your grad_b*",
            "*φ³ passes but ∇b³ fails: the error is in Eq. 4 at layer 3*",
            "FAILED *wrong.yaml::gradients*",
        ]
    )


def test_an_invalid_config_fails_with_its_message(pytester, tmp_path: Path) -> None:
    config = tmp_path / "invalid.yaml"
    config.write_text("input_size: 4\n")
    result = _run(pytester, "--bpcheck", str(config))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*missing required key 'layers'*"])


def test_each_config_keeps_its_own_impl_block(pytester, tmp_path: Path) -> None:
    right = impl_project(tmp_path / "right", {"file": "network.py"})
    wrong = impl_project(tmp_path / "wrong", {"file": "network.py"}, sign=-1)
    result = _run(pytester, "--bpcheck", str(right), "--bpcheck", str(wrong), "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*∇W² and ∇b² both fail*Eq. 1*"])
