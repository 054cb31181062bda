"""A check report laid out for a width: header, the cause first, one table per layer, the verdict.

The widest layout that fits is used: every column on one line at 120 columns and more; narrower
terminals get short headers, then the worst element and the rarer columns on a line of their own
under each failing row, then fewer columns; below that, each row as a short block of its own. No
number is ever cut, and sentences wrap at words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..data import CheckReport, LayerReport, QuantityCheck
from .cause import Causes, causes, failing, row_symbol
from .layout import Column, Line, Span, line_of, pack, table, table_width, wrap
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

__all__ = ["FULL_WIDTH", "check_lines", "title_lines"]

# Files, pipes and assertion messages have no width of their own: wide enough for every column.
FULL_WIDTH = 160
_INDENT = "  "


@dataclass(frozen=True)
class _Field:
    """A column of a layer's table, and how it reads on the line under a row when not a column:
    ``label`` before the cell, or ``detail`` for a field that says it another way."""

    key: str
    header: str
    short: str
    side: str
    cell: Callable[[QuantityCheck, Causes], str]
    label: str = ""
    detail: Callable[[QuantityCheck, Causes], str] | None = None

    def under_row(self, check: QuantityCheck, found: Causes) -> str:
        if self.detail is not None:
            return self.detail(check, found)
        return self.label + self.cell(check, found)


def _follows(check: QuantityCheck, found: Causes) -> str:
    source = found.source_of(check)
    return f"{result_cell(check)} ← {source}" if source else result_cell(check)


def _origin(check: QuantityCheck, found: Causes) -> str:
    if check.mode == "skipped":
        return "not checked"
    return f"yours: {', '.join(check.sources)}" if check.sources else "built-in"


def _number(name: str) -> Callable[[QuantityCheck, Causes], str]:
    def cell(check: QuantityCheck, found: Causes) -> str:
        return "—" if check.mode == "skipped" else number(getattr(check.comparison, name))

    return cell


def _count(name: str) -> Callable[[QuantityCheck, Causes], str]:
    """'3 kinks', '72 dead'; nothing when there are none."""

    def detail(check: QuantityCheck, found: Causes) -> str:
        value = getattr(check, name)
        return f"{value} {name}" if value else ""

    return detail


def _worst_detail(check: QuantityCheck, found: Causes) -> str:
    c = check.comparison
    if not c.worst_index or check.mode == "skipped":
        return ""
    return (
        f"worst {list(c.worst_index)}: analytic {c.worst_analytic:+.6e}, "
        f"numeric {c.worst_numeric:+.6e}"
    )


_FIELDS = (
    _Field("check", "check", "check", "left", lambda c, f: row_symbol(c), detail=lambda c, f: ""),
    _Field("eq", "eq.", "eq.", "right", lambda c, f: c.equation_label, label="Eq. "),
    _Field("shape", "shape", "shape", "right", lambda c, f: "×".join(map(str, c.shape)), "shape "),
    _Field("abs", "max abs err", "abs err", "right", _number("max_abs_error"), "max abs err "),
    _Field("rel", "max rel err", "rel err", "right", _number("max_rel_error"), "max rel err "),
    _Field("norm", "‖a−n‖/(‖a‖+‖n‖)", "norm err", "right", _number("rel_norm_error"), "norm err "),
    _Field(
        "worst",
        "worst element: analytic / numeric",
        "worst: analytic / numeric",
        "left",
        lambda c, f: worst_cell(c),
        detail=_worst_detail,
    ),
    _Field("kinks", "kinks", "kinks", "right", lambda c, f: str(c.kinks), detail=_count("kinks")),
    _Field("dead", "dead", "dead", "right", lambda c, f: str(c.dead), detail=_count("dead")),
    _Field("result", "result", "result", "left", _follows),
    _Field("from", "from", "from", "left", _origin),
)  # fmt: skip


@dataclass(frozen=True)
class _Layout:
    """Which fields are columns, and whether their headers are short."""

    columns: tuple[str, ...]
    short: bool


_ALL = tuple(field.key for field in _FIELDS)
# The order of the fields on the line under a row: what tells most first.
_DETAIL_ORDER = ("worst", "abs", "norm", "shape", "kinks", "dead", "eq", "from")
# Widest first; the first that fits the width is used.
_LAYOUTS = (
    _Layout(_ALL, short=False),
    _Layout(_ALL, short=True),
    _Layout(tuple(k for k in _ALL if k not in ("kinks", "dead")), short=True),
    _Layout(tuple(k for k in _ALL if k != "worst"), short=True),
    _Layout(("check", "eq", "shape", "abs", "rel", "result", "from"), short=True),
    _Layout(("check", "eq", "rel", "result", "from"), short=True),
    _Layout(("check", "eq", "rel", "result"), short=True),
    _Layout(("check", "result"), short=True),
)


def check_lines(report: CheckReport, *, width: int) -> list[Line]:
    """The whole report of one config, every line at most ``width`` cells wide."""
    found = causes(report)
    lines = title_lines(header_lines(report), width)
    forward = forward_line(report)
    if forward is not None:  # your loss against the config's network comes before any row
        role = "pass" if report.forward is not None and report.forward.passed else "fail"
        lines += [(), *wrap(forward, width, indent=_INDENT, role=role)]
    if found.cause is not None or report.first_failure is not None:
        lines += [(), *_cause_lines(report, found, width)]
    lines += [tail for warning in report.warnings for tail in _warning(warning, width)]
    fields = [f for f in _FIELDS if f.key != "from" or report.impl is not None]
    layout = _fitting_layout(report, fields, found, width)
    depth = len(report.layers)
    for layer in reversed(report.layers):  # the order errors flow in, from the output down
        lines.append(())
        lines += title_lines([layer_title(layer, depth)], width, role="title")
        lines += _layer_table(layer, fields, layout, found, width)
        lines += _notes(layer, found, width, said=report.diagnosis)
    lines.append(())
    if found.cause is None and report.first_failure is None:
        lines += wrap(report.diagnosis, width, indent=_INDENT)
    verdict, _, rest = verdict_line(report).partition(":")
    role = "fail" if found.cause is not None or not report.passed else "pass"
    first, *more = wrap(f"{verdict}:{rest}", width, indent=_INDENT)
    return [*lines, (Span(verdict, role), *_after(first, len(verdict))), *more]


def title_lines(parts_of: Sequence[str], width: int, *, role: str = "") -> list[Line]:
    """Header lines of '·'-separated parts, each broken only between parts where too long."""
    lines: list[Line] = []
    for text in parts_of:
        for i, piece in enumerate(pack(text.split(" · "), width, indent=_INDENT)):
            if i == 0 and text.startswith("bpcheck"):
                lines.append((Span("bpcheck", "bold"), Span(piece.removeprefix("bpcheck"), role)))
            else:
                lines.append(line_of(Span(piece, role)))
    return lines


def _after(line: Line, cells: int) -> Line:
    """``line`` without its first ``cells`` characters (which the caller styles itself)."""
    text = "".join(span.text for span in line)[cells:]
    return (Span(text),) if text else ()


def _warning(text: str, width: int) -> list[Line]:
    first, *rest = wrap(text, width, first="Warning: ", indent=_INDENT)
    return [(Span("Warning:", "warn"), *_after(first, len("Warning:"))), *rest]


def _cause_lines(report: CheckReport, found: Causes, width: int) -> list[Line]:
    """The diagnosis first: which row, which equation at which layer, and its hint."""
    cause = found.cause
    named = first_failure_words(report)
    if named is not None:
        heading = f"Cause: {named[0]}, {named[1]}"
    else:
        assert cause is not None
        heading = f"Cause: {row_symbol(cause)}, Eq. {cause.equation} at layer {cause.layer}"
    if report.forward is not None and not report.forward.passed:
        heading += f", from your {report.forward.source}"
    elif cause is not None and cause.sources:
        heading += f", from your {' and '.join(cause.sources)}"
    lines = wrap(heading, width, indent=_INDENT, role="fail")
    lines += wrap(report.diagnosis, width, first=_INDENT, indent=_INDENT)
    by_source: dict[str, list[str]] = {}
    for check in _failing_rows(report):
        source = found.source_of(check)
        if source:
            by_source.setdefault(source, []).append(row_symbol(check))
    for source, rows in by_source.items():
        sentence = (
            f"{', '.join(rows)} only inherit the error of {source}: their own hints are left out."
            if len(rows) > 1
            else f"{rows[0]} only inherits the error of {source}: its own hint is left out."
        )
        lines += wrap(sentence, width, first=_INDENT, indent=_INDENT, role="dim")
    if found.independent:
        names = ", ".join(row_symbol(check) for check in found.independent)
        lines += wrap(
            f"Also failing on their own (hints under their tables): {names}.",
            width,
            first=_INDENT,
            indent=_INDENT,
        )
    return lines


def _failing_rows(report: CheckReport) -> list[QuantityCheck]:
    return [check for layer in reversed(report.layers) for check in layer.checks if failing(check)]


def _fitting_layout(
    report: CheckReport, fields: Sequence[_Field], found: Causes, width: int
) -> _Layout | None:
    """The widest layout whose tables fit ``width`` for every layer; None: none does."""
    for layout in _LAYOUTS:
        columns = _columns(fields, layout)
        if all(
            table_width(columns, _cells(layer, fields, layout, found)) <= width
            for layer in report.layers
        ):
            return layout
    return None


def _shown(fields: Sequence[_Field], layout: _Layout) -> list[_Field]:
    return [field for field in fields if field.key in layout.columns]


def _columns(fields: Sequence[_Field], layout: _Layout) -> list[Column]:
    return [
        Column(field.short if layout.short else field.header, field.side)
        for field in _shown(fields, layout)
    ]


def _cells(
    layer: LayerReport, fields: Sequence[_Field], layout: _Layout, found: Causes
) -> list[list[str | Span]]:
    rows = []
    for check in layer.checks:
        cells: list[str | Span] = []
        for field in _shown(fields, layout):
            text = field.cell(check, found)
            if field.key == "from" and layout.short:
                text = text.removeprefix("yours: ")
            cells.append(Span(text, _result_role(check, found)) if field.key == "result" else text)
        rows.append(cells)
    return rows


def _result_role(check: QuantityCheck, found: Causes) -> str:
    if check.mode == "skipped":
        return "dim"
    if check.passed:
        return "pass"
    return "follows" if found.source_of(check) else "fail"


def _layer_table(
    layer: LayerReport, fields: Sequence[_Field], layout: _Layout | None, found: Causes, width: int
) -> list[Line]:
    if layout is None:
        return [line for check in layer.checks for line in _stacked(check, fields, found, width)]
    head, rows = table(_columns(fields, layout), _cells(layer, fields, layout, found))
    lines = list(head)
    hidden = sorted(
        (field for field in fields if field.key not in layout.columns),
        key=lambda field: _DETAIL_ORDER.index(field.key),
    )
    for check, row_lines in zip(layer.checks, rows, strict=True):
        lines += row_lines
        lines += _details(check, hidden, found, width)
    return lines


def _details(
    check: QuantityCheck, hidden: Sequence[_Field], found: Causes, width: int
) -> list[Line]:
    """The fields that are not columns, on a line under a failing row (kinks under any row)."""
    if check.mode == "skipped":
        return []
    if check.passed:
        hidden = [field for field in hidden if field.key == "kinks"]
    parts = [text for field in hidden if (text := field.under_row(check, found))]
    if not parts:
        return []
    pieces = pack(parts, width, first=_INDENT * 2, indent=_INDENT * 2)
    return [line_of(Span(piece, "dim")) for piece in pieces]


def _stacked(
    check: QuantityCheck, fields: Sequence[_Field], found: Causes, width: int
) -> list[Line]:
    """A row as a block, for terminals too narrow for any table: its symbol and result, then the
    rest wrapped at words."""
    head = line_of(
        Span(row_symbol(check), "bold"),
        " ",
        Span(_follows(check, found), _result_role(check, found)),
    )
    rest = sorted(
        (field for field in fields if field.key not in ("check", "result")),
        key=lambda field: _DETAIL_ORDER.index(field.key),
    )
    if check.passed:
        rest = [field for field in rest if field.key in ("eq", "rel", "kinks")]
    parts = [text for field in rest if (text := field.under_row(check, found))]
    return [
        head,
        *(
            line_of(Span(piece, "dim"))
            for piece in pack(parts, width, first=_INDENT, indent=_INDENT)
        ),
    ]


def _notes(layer: LayerReport, found: Causes, width: int, *, said: str) -> list[Line]:
    """Under a layer's table: each failing row's note and hint, or what it follows from; not
    what the diagnosis at the top already ``said`` (the cause's hint)."""
    lines: list[Line] = []
    for check in layer.checks:
        symbol = row_symbol(check)
        source = found.source_of(check)
        if source is not None:
            texts = [f"follows from {source}; fix {source} first."]
        elif failing(check) or check.mode == "skipped":
            texts = [text for text in (check.note, check.hint) if text and text not in said]
        else:
            continue
        for text in texts:
            first, *rest = wrap(f"{symbol}: {text}", width, indent=_INDENT)
            role = "dim" if source is not None else ""
            lines += [tuple(Span(s.text, role) for s in first), *rest]
    return lines
