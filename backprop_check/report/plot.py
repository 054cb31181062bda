"""A PNG of a sweep: the V of max relative error against the step, one line per row."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BackpropCheckError
from .data.sweep import SweepReport, format_step
from .saving import write_atomically

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["require_matplotlib", "write_sweep_plot"]

# A log axis cannot show 0; an exact match is drawn at this floor instead, below anything a
# float64 difference quotient can reach, so it reads as "as good as it gets".
_FLOOR = 1e-17


def require_matplotlib() -> type[Figure]:
    """matplotlib's Figure, or the error that says how to install it: asked before a sweep runs,
    so that a missing matplotlib costs no minutes of sweeping."""
    try:
        # This form looks the package up as well, so a missing or blocked matplotlib fails here
        # even when matplotlib.figure is already loaded.
        import matplotlib.figure
    except ImportError:
        raise BackpropCheckError(
            "--plot needs matplotlib: pip install 'backprop_check[plot]'"
        ) from None
    return matplotlib.figure.Figure


def write_sweep_plot(
    report: SweepReport, path: Path, *, protect: Iterable[str | Path] = ()
) -> None:
    """Draw ``report`` as a log-log PNG at ``path``; eps increases to the right.

    Paths in ``protect`` (the config, its data) are never overwritten; the file is written
    atomically.
    """
    figure = _figure(report, require_matplotlib())
    write_atomically(
        path,
        lambda handle: figure.savefig(handle, format="png", dpi=120),
        what="the figure",
        protect=protect,
    )


def _figure(report: SweepReport, figure_type: type[Figure]) -> Figure:
    """The V: one line per row, rtol, and the recommended and configured steps."""
    # A bare Figure renders with Agg on savefig, without pyplot's global state or backend choice,
    # so a caller's interactive backend is left alone and nothing needs closing.
    figure = figure_type(figsize=(8, 5), layout="constrained")
    axes = figure.add_subplot()
    steps = list(report.steps)
    for row in report.rows:
        axes.plot(
            steps,
            [_drawable(error) for error in row.max_rel_errors],
            marker="o",
            markersize=4,
            label=f"{row.symbol} (Eq. {row.equation})",
        )
    axes.axhline(
        report.rtol,
        color="black",
        linestyle="--",
        linewidth=1,
        label=f"rtol = {format_step(report.rtol)}",
    )
    axes.axvline(
        report.recommended_eps,
        color="tab:green",
        linestyle=":",
        linewidth=1.5,
        label=f"recommended ε = {format_step(report.recommended_eps)}",
    )
    axes.axvline(
        report.configured_eps,
        color="tab:red",
        linestyle=":",
        linewidth=1.5,
        label=f"configured ε = {format_step(report.configured_eps)}",
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("step ε (increasing →)")
    axes.set_ylabel("max relative error")
    axes.set_title(f"{Path(report.config).name} · {report.method}: error against step")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize="small", ncols=2)
    return figure


def _drawable(error: float) -> float:
    # Zero goes to the floor; inf and NaN become NaN, a gap in the line: drawn at the floor, an
    # infinitely wrong estimate would look like a perfect one.
    if not math.isfinite(error):
        return math.nan
    return max(error, _FLOOR)
