"""The HTML report: self-contained, cause first, a section per layer, heatmaps with the worst
element marked; rendered in headless Chromium without console errors, and not blank."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from backprop_check import Checker, check, load_config
from backprop_check.judge.selftest import run_selftest
from backprop_check.judge.sweep import sweep
from backprop_check.report.data import CheckReport, RunResult
from backprop_check.report.formats.html import check_html, selftest_html, sweep_html
from backprop_check.report.formats.svg import heatmap_svg

from ...helpers import ROOT
from .chromium import blank, render
from .samples import BAD_PATH, EQ2_DIAGNOSIS, INVALID_ERROR, INVALID_PATH, OK_PATH


class _Outline(HTMLParser):
    """The page's headings, sections and the attributes that could fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str]] = []
        self.fetching: list[tuple[str, str]] = []
        self.scripts = 0
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag = tag
        self.scripts += tag == "script"
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset") and not (value or "").startswith("#"):
                self.fetching.append((tag, value or ""))
        if tag == "div" and ("id", "diagnosis") in attrs:
            self.events.append((tag, "diagnosis"))
        elif tag in ("svg", "section"):
            self.events.append((tag, dict(attrs).get("class") or ""))

    def handle_data(self, data: str) -> None:
        if self._tag in ("h1", "h2", "h3") and data.strip():
            self.events.append((self._tag, data.strip()))


def _outline(page: str) -> _Outline:
    parser = _Outline()
    parser.feed(page)
    return parser


def test_a_failing_check_opens_with_its_cause_then_a_section_per_layer(failing) -> None:
    page = check_html([RunResult(BAD_PATH, report=failing)])
    outline = _outline(page)
    order = [event for event in outline.events if event[0] in ("div", "h2")]
    assert order[0] == ("div", "diagnosis")
    assert [text for tag, text in order[1:]] == [
        "Layer 3 of 3 · 3 units · softmax · output",
        "Layer 2 of 3 · 5 units · sigmoid · hidden",
        "Layer 1 of 3 · 6 units · relu · hidden",
    ]
    assert EQ2_DIAGNOSIS in page
    assert "Cause: φ², Eq. 2 at layer 2" in page
    assert (
        "∇W², ∇b², φ¹, ∇W¹, ∇b¹ only inherit the error of φ²: their own hints are left out." in page
    )
    # Every row was checked element by element: nine heatmaps, each with its worst element.
    assert sum(tag == "svg" for tag, _ in outline.events) == 9
    assert page.count('class="worst"') == 9


def test_the_page_fetches_nothing_and_runs_no_script(failing, passing) -> None:
    results = [
        RunResult(OK_PATH, report=passing),
        RunResult(BAD_PATH, report=failing),
        RunResult(INVALID_PATH, error=INVALID_ERROR),
    ]
    page = check_html(results)
    outline = _outline(page)
    assert outline.scripts == 0
    assert outline.fetching == []
    assert "default-src 'none'" in page
    # The only URL is SVG's namespace, a name that is never fetched.
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert f"<b>Invalid:</b> {INVALID_ERROR}" in page.replace("&#x27;", "'")
    assert "1 of 3 configs passed" in page


def test_the_heatmap_marks_the_worst_element_in_its_block() -> None:
    errors = np.full((4, 6), 1e-9)
    errors[2, 5] = 0.5
    errors[0, 0] = np.nan
    svg = heatmap_svg(errors, 1e-5, worst_index=(2, 5), kink_indices=[(0, 0)])
    cells = re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)"[^>]*fill="(#\w+)"', svg)
    assert len(cells) == 24
    size = int(cells[0][2])
    fills = {(int(x) // size, int(y) // size): fill for x, y, _, fill in cells}
    assert len({fills[(5, 2)], fills[(1, 1)], fills[(0, 0)]}) == 3  # worst, passing, not judged
    worst = re.search(r'class="worst" x="(\d+)" y="(\d+)"', svg)
    assert worst is not None
    assert (int(worst[1]) // size, int(worst[2]) // size) == (5, 2)
    assert svg.count("<circle") == 1  # the kink


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """The three kinds of page, written to files for the browser."""
    folder = tmp_path_factory.mktemp("html")
    configs = ROOT / "configs"
    checker_report = check(configs / "softmax_cce.yaml", impl=configs / "my_backprop_typo.py")
    assert not checker_report.passed
    texts = {
        "check": check_html([RunResult("configs/softmax_cce.yaml", report=checker_report)]),
        "sweep": sweep_html(sweep(Checker(load_config(configs / "relu_mse.yaml")))),
        "selftest": selftest_html(run_selftest()),
    }
    written = {}
    for name, text in texts.items():
        written[name] = folder / f"{name}.html"
        written[name].write_text(text, encoding="utf-8")
    return written


@pytest.mark.parametrize("kind", ["check", "sweep", "selftest"])
def test_chromium_renders_the_page_without_console_errors(pages, kind: str) -> None:
    rendering = render(pages[kind], pages[kind].with_suffix(".png"))
    assert rendering.console == []
    assert not blank(rendering.pixels())


def test_the_browser_check_can_fail(tmp_path: Path) -> None:
    # A page that breaks its own policy, and an empty one: both must be caught.
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
        "content=\"default-src 'none'\"></head><body><img src='https://example.invalid/x.png'>"
        "</body></html>"
    )
    assert render(broken, tmp_path / "broken.png").console != []
    empty = tmp_path / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body></body></html>")
    assert blank(render(empty, tmp_path / "empty.png").pixels())


def test_a_passing_report_says_so_at_the_top(passing: CheckReport) -> None:
    page = check_html([RunResult(OK_PATH, report=passing)])
    assert page.index('class="box pass"') < page.index("<h2")
    assert "All 9 checks passed" in page


def test_ci_installs_the_browser_these_tests_render_with() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install = script.index("apt-get install")
    assert "chromium" in script[install : script.index("\n", install)]
    assert install < script.index("\npytest")


def test_the_page_lists_the_kinks_and_the_warnings() -> None:
    report = check(ROOT / "configs" / "relu_kinks.yaml")
    kinked = next(c for c in report.checks if c.kink_indices)
    warned = dataclasses.replace(report, warnings=("eps 1e-09 is below what float64 resolves",))
    page = check_html([RunResult("configs/relu_kinks.yaml", report=warned)])
    assert "<b>Warning:</b> eps 1e-09 is below what float64 resolves" in page
    assert "Kinks (elements whose step crosses a ReLU&#x27;s 0): " in page
    assert str(list(kinked.kink_indices[0])) in page
    # Each kink is dotted on its heatmap.
    assert page.count("<circle") >= len(kinked.kink_indices)
