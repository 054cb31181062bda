"""A check report as plain text, without rich: for assertion messages, pytest and files.

The rich presenter builds its tables from the same sentences and cells, so the terminal, an
``AssertionError`` and a text file say the same thing in the same words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...core.notation import quantity_symbol
from ..data import CheckReport, LayerReport, QuantityCheck, RunResult

__all__ = [
    "COLUMNS",
    "METHOD_NAMES",
    "ORIGIN_COLUMN",
    "check_cells",
    "failure_notes",
    "header_lines",
    "interrupted_summary",
    "layer_title",
    "number",
    "origin_cell",
    "plain_text",
    "signed",
    "verdict_line",
]

METHOD_NAMES = {
    "central": "central differences",
    "forward": "forward differences",
    "complex-step": "complex step",
    "richardson": "Richardson-extrapolated central differences",
}

# The columns of a layer's table: header and which side the cells align to.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("check", "left"),
    ("eq.", "right"),
    ("shape", "right"),
    ("max abs err", "right"),
    ("max rel err", "right"),
    ("‖a−n‖/(‖a‖+‖n‖)", "right"),
    ("worst element: analytic / numeric", "left"),
    ("kinks", "right"),
    ("dead", "right"),
    ("result", "left"),
)
ORIGIN_COLUMN = ("from", "left")


def number(value: float) -> str:
    return f"{value:.2e}"


def signed(value: float) -> str:
    return f"{value:+.6e}"


def header_lines(report: CheckReport) -> list[str]:
    """What was checked and how: the config, the network, the method, your code."""
    shape = " → ".join(
        [str(report.input_size)] + [f"{layer.units} {layer.activation}" for layer in report.layers]
    )
    mode = {
        "full": "every element",
        "sample": f"{report.mode_count} sampled elements per tensor",
        "directions": f"{report.mode_count} random directions per tensor",
    }[report.mode]
    lines = [
        f"bpcheck · {report.config}",
        f"network {shape} · loss {report.loss} = {report.loss_value:.6g} · "
        f"batch {report.batch_size} · seed {report.seed}",
        f"{METHOD_NAMES.get(report.method, report.method)} · eps {report.eps:g} · "
        f"rtol {report.rtol:g} · atol {report.atol:g} · {mode} · {report.dtype} · "
        f"kinks: {report.kink_policy}",
    ]
    lines += [report.resolution()] if report.resolves is not None else []
    if report.impl is not None:
        used = sorted({name for check in report.checks for name in check.sources})
        lines.append(
            f"your code: {report.impl} ({', '.join(used) or 'no step used'}); the rest is built in"
        )
    return lines


def layer_title(layer: LayerReport, depth: int) -> str:
    role = "output" if layer.layer == depth else "hidden"
    return f"Layer {layer.layer} of {depth} · {layer.units} units · {layer.activation} · {role}"


def check_cells(check: QuantityCheck) -> list[str]:
    """One row of a layer's table, a cell per column of ``COLUMNS``."""
    c = check.comparison
    size = math.prod(check.shape)
    result = "pass" if check.passed else f"FAIL {c.failed}/{c.checked}"
    if check.unresolved:  # no verdict: a non-finite number, or kinks (--kinks fail)
        result = f"UNRESOLVED ({check.unresolved})"
    if check.mode == "directions":
        result += f" ({c.checked} direction{'s' if c.checked > 1 else ''})"
    elif c.checked < size:
        result += f" ({c.checked} of {size} checked)"
    return [
        quantity_symbol(check.quantity, check.layer),
        str(check.equation),
        "×".join(str(extent) for extent in check.shape),
        number(c.max_abs_error),
        number(c.max_rel_error),
        number(c.rel_norm_error),
        f"{list(c.worst_index)}  {signed(c.worst_analytic)} / {signed(c.worst_numeric)}"
        if c.worst_index
        else "—",
        str(check.kinks),
        str(check.dead),
        result,
    ]


def origin_cell(check: QuantityCheck) -> str:
    """Which code computed a row under --impl: yours (which functions) or the built-in one."""
    if check.mode == "skipped":
        return "not checked"
    return f"yours: {', '.join(check.sources)}" if check.sources else "built-in"


def failure_notes(layer: LayerReport) -> list[str]:
    """The note and hint of each failing row, under its table."""
    notes = []
    for check in layer.checks:
        if not check.passed:
            symbol = quantity_symbol(check.quantity, check.layer)
            notes += [f"{symbol}: {text}" for text in (check.note, check.hint) if text]
    return notes


def verdict_line(report: CheckReport) -> str:
    """'PASSED: 9 of 9 checks.', saying how much was seen when not every element was."""
    checks = report.checks
    failed = sum(not check.passed for check in checks)
    if failed:
        line = f"FAILED: {failed} of {len(checks)} checks failed"
    else:
        line = f"PASSED: {len(checks)} of {len(checks)} checks"
    coverage = report.coverage
    return line + (f"; {coverage.statement()}." if coverage is not None else ".")


def plain_text(report: CheckReport) -> str:
    """The whole report: header, warnings, one table per layer, diagnosis and verdict."""
    lines = header_lines(report)
    lines += [f"Warning: {warning}" for warning in report.warnings]
    origin = report.impl is not None
    columns = COLUMNS + ((ORIGIN_COLUMN,) if origin else ())
    for layer in report.layers:
        rows = [
            check_cells(check) + ([origin_cell(check)] if origin else []) for check in layer.checks
        ]
        lines += ["", layer_title(layer, len(report.layers))]
        lines += _table(columns, rows)
        lines += failure_notes(layer)
    lines += ["", report.diagnosis, verdict_line(report)]
    return "\n".join(lines) + "\n"


def _table(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart, under a header and a rule."""
    widths = [
        max([len(header), *(len(row[i]) for row in rows)]) for i, (header, _) in enumerate(columns)
    ]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if side == "right" else cell.ljust(width)
            for cell, width, (_, side) in zip(cells, widths, columns, strict=True)
        ]
        return "  ".join(padded).rstrip()

    return [
        line([header for header, _ in columns]),
        line(["-" * width for width in widths]),
        *(line(row) for row in rows),
    ]


def interrupted_summary(
    results: Sequence[RunResult], current: str, completed: Sequence[QuantityCheck], total: int
) -> str:
    """What a run over configs had checked when Ctrl-C stopped it."""
    failed = [row for row in completed if not row.passed]
    finished = ", ".join(f"{r.config} {r.status}" for r in results)
    text = f"Interrupted while checking {current}: {len(completed)} of {total} checks done"
    if completed:
        text += f", {len(completed) - len(failed)} passed, {len(failed)} failed"
        if failed:
            text += " (" + ", ".join(quantity_symbol(r.quantity, r.layer) for r in failed) + ")"
    return text + "." + (f" Finished before it: {finished}." if finished else "")
