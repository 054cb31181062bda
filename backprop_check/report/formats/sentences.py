"""The sentences and cells of a check report, in the same words wherever they appear: the
terminal, text files, assertion messages, Markdown, JUnit and HTML."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...core.notation import quantity_symbol
from ..data import CheckReport, LayerReport, QuantityCheck, RunResult

__all__ = [
    "METHOD_NAMES",
    "first_failure_words",
    "forward_line",
    "header_lines",
    "interrupted_summary",
    "layer_title",
    "number",
    "result_cell",
    "signed",
    "verdict_line",
    "worst_cell",
]

METHOD_NAMES = {
    "central": "central differences",
    "forward": "forward differences",
    "complex-step": "complex step",
    "richardson": "Richardson-extrapolated central differences",
}


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
        # A whole backward of yours gives every checked row: nothing else is built in.
        rest = "; the rest is built in" if any(not c.sources for c in report.checked) else ""
        lines.append(f"your code: {report.impl} ({', '.join(used) or 'no step used'}){rest}")
    return lines


def layer_title(layer: LayerReport, depth: int) -> str:
    role = "output" if layer.layer == depth else "hidden"
    return f"Layer {layer.layer} of {depth} · {layer.units} units · {layer.activation} · {role}"


def result_cell(check: QuantityCheck) -> str:
    """'pass', 'FAIL 3/8', 'UNRESOLVED (overflow)' or 'not checked', and how much was seen."""
    if check.mode == "skipped":
        return "not checked"
    c = check.comparison
    size = math.prod(check.shape)
    result = "pass" if check.passed else f"FAIL {c.failed}/{c.checked}"
    if check.unresolved:  # no verdict: a non-finite number, or kinks (--kinks fail)
        result = f"UNRESOLVED ({check.unresolved})"
    if check.mode == "directions":
        result += f" ({c.checked} direction{'s' if c.checked > 1 else ''})"
    elif c.checked < size:
        result += f" ({c.checked} of {size} checked)"
    return result


def worst_cell(check: QuantityCheck) -> str:
    """'[6, 8]  -1.136396e-02 / +4.349460e-02': the worst element, analytic / numeric."""
    c = check.comparison
    if not c.worst_index or check.mode == "skipped":
        return "—"
    return f"{list(c.worst_index)}  {signed(c.worst_analytic)} / {signed(c.worst_numeric)}"


def verdict_line(report: CheckReport) -> str:
    """'PASSED: 9 of 9 checks.', saying how much was seen when not every element was, and
    counting only the rows that were checked (the forward row among them)."""
    checks = report.checked
    failed = sum(not check.passed for check in checks)
    total = len(checks) + (report.forward is not None)
    if report.forward is not None:
        failed += not report.forward.passed
    rows = "checked rows" if report.skipped else "checks"
    if failed:
        line = f"FAILED: {failed} of {total} {rows} failed"
    else:
        line = f"PASSED: {total} of {total} {rows}"
    if report.skipped:
        line += f"; {len(report.skipped)} not checked"
    coverage = report.coverage
    return line + (f"; {coverage.statement()}." if coverage is not None else ".")


def forward_line(report: CheckReport) -> str | None:
    """The forward row, before the tables: your loss against the config's network."""
    forward = report.forward
    if forward is None:
        return None
    verdict = "pass" if forward.passed else "FAIL"
    return f"forward ({forward.source}): {forward.sentence} · {verdict}"


def first_failure_words(report: CheckReport, *, at: str = " at layer ") -> tuple[str, str] | None:
    """The row the diagnosis names and where: ('φ¹', 'Eq. 2 at layer 1'; ``at`` joins the two),
    or ('the forward row', 'your loss ≠ the config's network'); None when nothing failed. A φ
    named from ∇W and ∇b (φ not checked) says so."""
    first = report.first_failure
    if first is None:
        return None
    if first.quantity == "forward" or first.layer is None:
        return "the forward row", "your loss ≠ the config's network"
    symbol = quantity_symbol(first.quantity, first.layer)
    by_key = {(c.layer, c.quantity): c for c in report.checks}
    row = by_key.get((first.layer, first.quantity))
    if row is not None and row.skipped:
        symbol += " (not checked; told by ∇W and ∇b)"
    equation = f"Eq. {first.equation}" if first.equation is not None else "no equation"
    return symbol, f"{equation}{at}{first.layer}"


def interrupted_summary(
    results: Sequence[RunResult], current: str, completed: Sequence[QuantityCheck], total: int
) -> str:
    """What a run over configs had checked when Ctrl-C stopped it."""
    failed = [row for row in completed if not row.passed]
    skipped = sum(row.skipped for row in completed)
    finished = ", ".join(f"{r.config} {r.status}" for r in results)
    text = f"Interrupted while checking {current}: {len(completed)} of {total} checks done"
    if completed:
        text += f", {len(completed) - len(failed) - skipped} passed, {len(failed)} failed"
        text += f", {skipped} not checked" if skipped else ""
        if failed:
            text += " (" + ", ".join(quantity_symbol(r.quantity, r.layer) for r in failed) + ")"
    return text + "." + (f" Finished before it: {finished}." if finished else "")
