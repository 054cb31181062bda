"""The sweep in text: eps grows to the right, as on the --plot figure; every row its own marker."""

from __future__ import annotations

import re

import pytest

from backprop_check import Checker, load_config
from backprop_check.judge.sweep import sweep
from backprop_check.report.data.sweep import SweepReport
from backprop_check.report.formats.layout import lines_text
from backprop_check.report.formats.sweep_lines import marker, sweep_lines

from ...helpers import ROOT


@pytest.fixture(scope="module")
def report() -> SweepReport:
    # Four layers: markers must tell every quantity of every layer apart.
    return sweep(Checker(load_config(ROOT / "configs" / "deep_mixed.yaml")))


def test_each_row_has_its_own_marker_naming_quantity_and_layer(report: SweepReport) -> None:
    markers = [marker(row) for row in report.rows]
    assert len(set(markers)) == len(markers) == len(report.rows)
    for row, shown in zip(report.rows, markers, strict=True):
        assert shown == {"phi": "φ", "W": "W", "b": "b"}[row.quantity] + row.symbol[-1]


def test_eps_grows_to_the_right_in_the_chart_and_the_table(report: SweepReport) -> None:
    text = lines_text(sweep_lines(report, width=160))
    axis = next(line for line in text.splitlines() if line.startswith("eps 10^"))
    powers = [int(p) for p in re.findall(r"-?\d+", axis.removeprefix("eps 10^"))]
    assert powers == sorted(powers)
    assert len(powers) == len(report.steps)
    header = next(line for line in text.splitlines() if line.startswith("check"))
    steps = [float(cell) for cell in header.split()[1:-3]]
    assert steps == sorted(steps)


def test_a_passing_cell_carries_a_mark_not_only_a_colour(report: SweepReport) -> None:
    text = lines_text(sweep_lines(report, width=160))
    table = text[text.index("check ") :]
    passes = sum(sum(row.passed) for row in report.rows)
    assert table.count("✓") == passes + 1  # and once in the title


def test_the_plot_puts_eps_the_same_way(report: SweepReport) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from backprop_check.report.plot import _figure

    axes = _figure(report, Figure).axes[0]
    assert not axes.xaxis_inverted()
    assert axes.get_xscale() == "log"
