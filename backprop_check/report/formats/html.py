"""The HTML report: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) for a
CI job to keep as an artifact.

A check opens with the diagnosis, then a section per layer (from the output down) with its rows,
each tensor's element errors as a heatmap with the worst element marked, its kinks and notes. A
sweep shows the V; the selftest its table. The Content-Security-Policy forbids every fetch, so a
page that tried one would show it in the browser's console.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ...core.notation import quantity_symbol
from ..data import CheckReport, LayerReport, QuantityCheck, RunResult
from ..data.selftest import SelftestReport
from ..data.sweep import SweepReport, format_step
from .cause import Causes, causes, failing, row_symbol
from .heat import legend
from .sentences import (
    first_failure_words,
    forward_line,
    header_lines,
    layer_title,
    number,
    result_cell,
    verdict_line,
    worst_cell,
)
from .summary import STATUS_MARKS
from .svg import heatmap_svg, sweep_svg

__all__ = ["check_html", "selftest_html", "sweep_html"]

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;
background:#fafafa;max-width:1280px}
.scroll{overflow-x:auto}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px}
h3{font-size:15px;margin:18px 0 6px}
.meta{color:#555;margin:0}
.box{border-radius:6px;padding:10px 14px;margin:14px 0;border:1px solid}
.fail{background:#fdecea;border-color:#e57373}.pass{background:#edf7ed;border-color:#81c784}
.warn{background:#fff8e1;border-color:#ffb300}
table{border-collapse:collapse;margin:6px 0;background:#fff}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums}td.wrap{white-space:normal}
tr.bad td{background:#fdecea}tr.follows td{background:#fff5f3;color:#777}
.tensor{display:flex;gap:18px;align-items:flex-start;margin:10px 0 18px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 10px;
border:1px solid #aaa}
.note{color:#444;margin:4px 0}.dim{color:#777}code{font-size:13px}
"""
# No fetch of any kind may leave the page; inline styles and SVG are all it has.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def check_html(results: Sequence[RunResult]) -> str:
    """The report of a run: a summary when several configs ran, then each config's section."""
    body = []
    if len(results) > 1:
        passed = sum(result.status == "passed" for result in results)
        body.append(f"<h1>bpcheck: {passed} of {len(results)} configs passed</h1><ul>")
        body += [
            f'<li><a href="#config-{n}">{escape(STATUS_MARKS[r.status])}</a> '
            f"{escape(r.config)}</li>"
            for n, r in enumerate(results)
        ]
        body.append("</ul>")
    for n, result in enumerate(results):
        body.append(f'<section id="config-{n}">')
        if result.report is None:
            body.append(f"<h1>bpcheck · {escape(result.config)}</h1>")
            body.append(f'<div class="box fail"><b>Invalid:</b> {escape(result.error or "")}</div>')
        else:
            body += _report(result.report)
        body.append("</section>")
    title = results[0].config if len(results) == 1 else f"{len(results)} configs"
    return _page(f"bpcheck · {title}", body)


def _report(report: CheckReport) -> list[str]:
    found = causes(report)
    title, *meta = header_lines(report)
    body = [f"<h1>{escape(title)}</h1>", *(f'<p class="meta">{escape(line)}</p>' for line in meta)]
    forward = forward_line(report)
    if forward is not None:  # your loss against the config's network, before any row
        kind = "pass" if report.forward is not None and report.forward.passed else "fail"
        body.append(f'<div class="box {kind}" id="forward">{escape(forward)}</div>')
    body.append(_diagnosis(report, found))
    body += [f'<div class="box warn"><b>Warning:</b> {escape(w)}</div>' for w in report.warnings]
    for layer in reversed(report.layers):
        body += _layer(layer, report, found)
    kind = "fail" if not report.passed else "pass"
    body.append(f'<div class="box {kind}"><b>{escape(verdict_line(report))}</b></div>')
    return body


def _diagnosis(report: CheckReport, found: Causes) -> str:
    named = first_failure_words(report)
    if found.cause is None and named is None:
        return f'<div class="box pass"><b>Passed.</b> {escape(report.diagnosis)}</div>'
    cause = found.cause
    if named is not None:
        heading = f"Cause: {named[0]}, {named[1]}"
    else:
        assert cause is not None
        heading = f"Cause: {row_symbol(cause)}, Eq. {cause.equation} at layer {cause.layer}"
    if cause is not None and cause.sources:
        heading += f", from your {' and '.join(cause.sources)}"
    by_source: dict[str, list[str]] = {}
    for layer in reversed(report.layers):
        for check in layer.checks:
            source = found.source_of(check)
            if source:
                by_source.setdefault(source, []).append(row_symbol(check))
    follows = "".join(
        f'<p class="dim">{escape(", ".join(rows))} only inherit the error of {escape(source)}: '
        "their own hints are left out.</p>"
        if len(rows) > 1
        else f'<p class="dim">{escape(rows[0])} only inherits the error of {escape(source)}: '
        "its own hint is left out.</p>"
        for source, rows in by_source.items()
    )
    if found.independent:
        names = ", ".join(row_symbol(check) for check in found.independent)
        follows += f"<p>Also failing on their own: {escape(names)}.</p>"
    return (
        f'<div class="box fail" id="diagnosis"><b>{escape(heading)}</b>'
        f"<p>{escape(report.diagnosis)}</p>{follows}</div>"
    )


_HEADERS = (
    "check", "eq.", "shape", "max abs err", "max rel err", "‖a−n‖/(‖a‖+‖n‖)",
    "worst element: analytic / numeric", "kinks", "dead", "result", "from",
)  # fmt: skip


def _layer(layer: LayerReport, report: CheckReport, found: Causes) -> list[str]:
    body = [
        f'<h2 id="layer-{layer.layer}">{escape(layer_title(layer, len(report.layers)))}</h2>',
        '<div class="scroll"><table><tr>'
        + "".join(f"<th>{escape(h)}</th>" for h in _HEADERS)
        + "</tr>",
    ]
    body += [_row(check, found) for check in layer.checks]
    body.append("</table></div>")
    for check in layer.checks:
        body += _tensor(check, report, found)
    return body


def _row(check: QuantityCheck, found: Causes) -> str:
    c = check.comparison
    source = found.source_of(check)
    result = result_cell(check) + (f" ← {source}" if source else "")
    numbers = ("—",) * 3 if check.mode == "skipped" else (
        number(c.max_abs_error), number(c.max_rel_error), number(c.rel_norm_error)
    )  # fmt: skip
    cells = [
        (row_symbol(check), ""),
        (check.equation_label, "n"),
        ("×".join(map(str, check.shape)), "n"),
        *((value, "n") for value in numbers),
        (worst_cell(check), ""),
        (str(check.kinks), "n"),
        (str(check.dead), "n"),
        (result, ""),
        (("yours: " + ", ".join(check.sources)) if check.sources else "built-in", ""),
    ]
    kind = "follows" if source else "bad" if failing(check) else ""
    tds = "".join(f'<td class="{cls}">{escape(text)}</td>' for text, cls in cells)
    return f'<tr class="{kind}">{tds}</tr>'


def _tensor(check: QuantityCheck, report: CheckReport, found: Causes) -> list[str]:
    """A row's heatmap with its legend, kinks and notes."""
    symbol = (
        quantity_symbol(check.quantity, check.layer)
        if check.quantity in ("phi", "W", "b")
        else check.quantity
    )
    notes = []
    source = found.source_of(check)
    if source:
        notes.append(f"Follows from {source}: fix {source} first.")
    elif failing(check) or check.mode == "skipped":
        notes += [text for text in (check.note, check.hint) if text]
    if check.kink_indices:
        shown = ", ".join(str(list(index)) for index in check.kink_indices[:20])
        more = f" and {len(check.kink_indices) - 20} more" if len(check.kink_indices) > 20 else ""
        notes.append(f"Kinks (elements whose step crosses a ReLU's 0): {shown}{more}.")
    if check.element_errors is None:
        if check.mode == "directions":
            notes.append(f"Checked along {check.comparison.checked} random directions: no map.")
        return [f'<p class="note"><b>{escape(symbol)}</b>: {escape(n)}</p>' for n in notes]
    svg = heatmap_svg(
        check.element_errors,
        report.rtol,
        worst_index=check.comparison.worst_index,
        kink_indices=check.kink_indices,
        label=f"{symbol} relative error per element",
    )
    keys = "".join(
        f'<span style="background:{level.colour}"></span>{escape(label)}'
        for level, label in legend(report.rtol)
    )
    worst = check.comparison.worst_index
    text = [
        f"<h3>{escape(symbol)}: relative error per element</h3>",
        f'<p class="legend">{keys}</p>',
        f'<p class="dim">Worst element {escape(str(list(worst)))} outlined'
        + ("; kinks dotted." if check.kink_indices else ".")
        + "</p>"
        if worst
        else "",
        *(f'<p class="note">{escape(n)}</p>' for n in notes),
    ]
    return [f'<div class="tensor"><div>{svg}</div><div>{"".join(text)}</div></div>']


def sweep_html(report: SweepReport) -> str:
    """The sweep: the V as an SVG, the table of errors (eps growing to the right), the summary."""
    order = sorted(range(len(report.steps)), key=lambda i: report.steps[i])
    head = "".join(f"<th>{escape(format_step(report.steps[i]))}</th>" for i in order)
    rows = []
    for row in report.rows:
        cells = "".join(
            f'<td class="n">{row.max_rel_errors[i]:.0e}{" ✓" if row.passed[i] else ""}</td>'
            for i in order
        )
        rows.append(
            f'<tr class="{"bad" if row.verdict == "bug" else ""}"><td>{escape(row.symbol)}</td>'
            f'{cells}<td class="n">{format_step(row.best_step)}</td><td>{row.verdict}</td></tr>'
        )
    kind = "pass" if report.passed else "fail"
    body = [
        f"<h1>bpcheck sweep · {escape(report.config)}</h1>",
        f'<p class="meta">{escape(report.method)} · rtol {report.rtol:g} · atol {report.atol:g}'
        f" · configured eps {format_step(report.configured_eps)}</p>",
        f'<div class="box {kind}">{escape(report.summary())}</div>',
        sweep_svg(report),
        "<h2>Max relative error against eps (✓ passes)</h2>",
        f'<div class="scroll"><table><tr><th>check</th>{head}<th>best eps</th>'
        "<th>verdict</th></tr>",
        *rows,
        "</table></div>",
    ]
    return _page(f"bpcheck sweep · {report.config}", body)


def selftest_html(report: SelftestReport) -> str:
    """The selftest: the correct build's verdict and which row caught each mutant."""
    caught = sum(result.caught for result in report.results)
    correct = "passes" if report.correct_passed else "FAILS"
    rows = [
        f'<tr class="{"" if r.caught else "bad"}"><td>{escape(r.name)}</td>'
        f'<td>{escape(r.origin)}</td><td class="wrap">{escape(r.explanation)}</td>'
        f"<td>{escape(r.row or '—')}</td>"
        f'<td class="n">{f"{r.error:.1e}" if r.row else "—"}</td>'
        f"<td>{'caught' if r.caught else 'MISSED'}</td></tr>"
        for r in report.results
    ]
    kind = "pass" if report.passed else "fail"
    body = [
        "<h1>bpcheck selftest</h1>",
        f'<div class="box {kind}">The correct build {correct} on every network; {caught} of '
        f"{len(report.results)} mutants caught.</div>",
        *(f'<p class="note">{escape(failure)}</p>' for failure in report.correct_failures),
        '<div class="scroll"><table><tr><th>mutant</th><th>from</th><th>mistake</th>'
        "<th>caught by</th><th>max rel err</th><th>result</th></tr>",
        *rows,
        "</table></div>",
        *(
            f'<p class="note">{escape(r.name)}: not catchable on the usual networks: '
            f"{escape(r.why_not)}.</p>"
            for r in report.results
            if r.why_not
        ),
    ]
    return _page("bpcheck selftest", body)
