"""Machine-readable reports for CI: JUnit XML for test reporters, Markdown for PR comments.

Both read report data only. One config is one JUnit test suite and one row of the Markdown summary;
each layer × quantity is one test case, so a CI server lists φ², ∇W² and ∇b² as separate tests.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePath

from ..core.notation import quantity_symbol
from .data import CheckReport, QuantityCheck, RunResult

__all__ = ["to_junit", "to_markdown"]

_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 forbids even as references; ElementTree would write them and break parsers.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")
# What starts inline markup in GitHub Markdown, escaped only where it could: an underscore at a
# word edge (GFM never emphasises inside a word) and a ']' that would close a link, so that
# `softmax_cce` and `layers[0]` stay readable in the raw file.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*<>&|~]|\](?=[(\[])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

_STATUS = {"passed": "✅ passed", "failed": "❌ failed", "invalid": "⚠️ invalid"}


def _number(value: float) -> str:
    return f"{value:.2e}"


def _signed(value: float) -> str:
    return f"{value:+.6e}"


def _row_name(check: QuantityCheck) -> str:
    """'layer 2 · φ² (Eq. 2)': the test a CI server lists for one row."""
    symbol = quantity_symbol(check.quantity, check.layer)
    return f"layer {check.layer} · {symbol} (Eq. {check.equation})"


# --------------------------------------------------------------------------- JUnit XML


def to_junit(results: Sequence[RunResult]) -> str:
    """A JUnit XML document: one test suite per config, one test case per layer × quantity.

    Failing rows carry a ``GradientMismatch`` failure; a config that could not be checked is a
    single ``config`` test case with a ``ConfigError`` error.
    """
    classnames = _classnames(results)
    suites = [
        _suite(result, classname) for result, classname in zip(results, classnames, strict=True)
    ]
    root = ET.Element(
        "testsuites",
        _attributes(
            name="bpcheck",
            tests=sum(int(suite.get("tests", "0")) for suite in suites),
            failures=sum(int(suite.get("failures", "0")) for suite in suites),
            errors=sum(int(suite.get("errors", "0")) for suite in suites),
            time=0,
        ),
    )
    root.extend(suites)
    ET.indent(root)
    return _XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


def _attributes(**attributes: object) -> dict[str, str]:
    return {key: _xml_text(str(value)) for key, value in attributes.items()}


def _xml_text(text: str) -> str:
    return _XML_FORBIDDEN.sub("\ufffd", text)


def _classnames(results: Sequence[RunResult]) -> list[str]:
    """``bpcheck.<stem>``, or the whole path where two configs share a stem (a/net, b/net)."""
    stems = [_safe_name(PurePath(result.config).stem) for result in results]
    repeated = {stem for stem, count in Counter(stems).items() if count > 1}
    return [
        "bpcheck."
        + (_safe_name(str(PurePath(result.config).with_suffix(""))) if stem in repeated else stem)
        for result, stem in zip(results, stems, strict=True)
    ]


def _safe_name(text: str) -> str:
    # Reporters split classnames at dots into packages, so dots and slashes must not survive.
    return _UNSAFE_NAME.sub("_", text).strip("_") or "config"


def _suite(result: RunResult, classname: str) -> ET.Element:
    if result.report is None:
        return _invalid_suite(result, classname)
    report = result.report
    checks = report.checks
    suite = ET.Element(
        "testsuite",
        _attributes(
            name=result.config,
            tests=len(checks),
            failures=sum(not check.passed for check in checks),
            errors=0,
            skipped=0,
            time=0,
        ),
    )
    suite.append(_properties(report))
    for check in checks:
        suite.append(_testcase(check, report, classname))
    output = ET.SubElement(suite, "system-out")
    output.text = _xml_text("\n".join([report.diagnosis, *report.warnings]))
    return suite


def _invalid_suite(result: RunResult, classname: str) -> ET.Element:
    error_text = result.error or "the config could not be checked"
    suite = ET.Element(
        "testsuite",
        _attributes(name=result.config, tests=1, failures=0, errors=1, skipped=0, time=0),
    )
    case = ET.SubElement(suite, "testcase", _attributes(name="config", classname=classname, time=0))
    error = ET.SubElement(case, "error", _attributes(message=error_text, type="ConfigError"))
    error.text = _xml_text(error_text)
    return suite


def _properties(report: CheckReport) -> ET.Element:
    properties = ET.Element("properties")
    values = {
        "method": report.method,
        "eps": f"{report.eps:g}",
        "rtol": f"{report.rtol:g}",
        "atol": f"{report.atol:g}",
        "dtype": report.dtype,
        "loss": report.loss,
        "seed": str(report.seed),
        "batch_size": str(report.batch_size),
        "mode": report.mode,
    }
    for name, value in values.items():
        ET.SubElement(properties, "property", _attributes(name=name, value=value))
    return properties


def _testcase(check: QuantityCheck, report: CheckReport, classname: str) -> ET.Element:
    case = ET.Element("testcase", _attributes(name=_row_name(check), classname=classname, time=0))
    if not check.passed:
        failure = ET.SubElement(
            case,
            "failure",
            _attributes(message=_failure_message(check, report), type="GradientMismatch"),
        )
        failure.text = _xml_text(_failure_body(check, report))
    return case


def _failure_message(check: QuantityCheck, report: CheckReport) -> str:
    """The one line a CI server shows: where, how many elements, how far off, and the worst."""
    c = check.comparison
    message = (
        f"{_row_name(check)}: {c.failed} of {c.checked} checked elements fail "
        f"(rtol {report.rtol:g}, atol {report.atol:g}); "
        f"max abs error {_number(c.max_abs_error)}, max rel error {_number(c.max_rel_error)}"
    )
    if c.worst_index:
        message += (
            f"; worst element {list(c.worst_index)}: analytic {_signed(c.worst_analytic)}, "
            f"numeric {_signed(c.worst_numeric)}"
        )
    return message


def _failure_body(check: QuantityCheck, report: CheckReport) -> str:
    lines = [f"Diagnosis: {report.diagnosis}"]
    if check.hint:
        lines.append(f"Hint: {check.hint}")
    if check.note:
        lines.append(f"Note: {check.note}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- Markdown


def to_markdown(results: Sequence[RunResult]) -> str:
    """A pull-request comment or GITHUB_STEP_SUMMARY: a summary table, then what went wrong.

    Passing configs get one row and nothing more; failing ones a table of their checks with the
    diagnosis and hints; invalid ones their error.
    """
    passed = sum(result.status == "passed" for result in results)
    noun = "config" if len(results) == 1 else "configs"
    blocks = [f"## bpcheck: {passed} of {len(results)} {noun} passed"]
    if results:
        blocks.append(_summary_table(results))
    blocks += [_details(result) for result in results if result.status != "passed"]
    return "\n\n".join(blocks) + "\n"


def _cell(text: str) -> str:
    """Text that stays inside one table cell and renders literally."""
    escaped = _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(), text)
    return _LINE_BREAK.sub("<br>", escaped)


def _table(header: Sequence[str], align: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub table; ``align`` is 'l' or 'r' per column. Cells must already be escaped."""
    rule = ["---:" if side == "r" else "---" for side in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def _summary_table(results: Sequence[RunResult]) -> str:
    return _table(
        ["config", "result", "loss", "method", "failed checks", "diagnosis"],
        ["l", "l", "l", "l", "r", "l"],
        [_summary_row(result) for result in results],
    )


def _summary_row(result: RunResult) -> list[str]:
    status = _STATUS[result.status]
    report = result.report
    if report is None:
        first_line = (result.error or "").strip().splitlines() or ["could not be checked"]
        return [_cell(result.config), status, "—", "—", "—", _cell(first_line[0])]
    checks = report.checks
    failed = sum(not check.passed for check in checks)
    return [
        _cell(result.config),
        status,
        _cell(report.loss),
        _cell(report.method),
        f"{failed} of {len(checks)}",
        # A pass needs no explanation; the count already says it.
        _cell(report.diagnosis) if failed else "—",
    ]


def _details(result: RunResult) -> str:
    heading = f"### {_STATUS[result.status]}: {_cell(result.config)}"
    if result.report is None:
        return heading + "\n\n" + _fenced(result.error or "could not be checked")
    report = result.report
    blocks = [heading, _checks_table(report), f"**Diagnosis:** {_cell(report.diagnosis)}"]
    notes = [
        f"- **{quantity_symbol(check.quantity, check.layer)}**: {_cell(text)}"
        for check in report.checks
        if not check.passed
        for text in (check.hint, check.note)
        if text
    ]
    notes += [f"- ⚠️ {_cell(warning)}" for warning in report.warnings]
    if notes:
        blocks.append("\n".join(notes))
    return "\n\n".join(blocks)


def _checks_table(report: CheckReport) -> str:
    rows = []
    for check in report.checks:
        c = check.comparison
        rows.append(
            [
                str(check.layer),
                quantity_symbol(check.quantity, check.layer),
                str(check.equation),
                _number(c.max_abs_error),
                _number(c.max_rel_error),
                f"{c.failed}/{c.checked}",
                "✅ pass" if check.passed else "❌ **FAIL**",
            ]
        )
    return _table(
        ["layer", "check", "eq.", "max abs err", "max rel err", "failed/checked", "result"],
        ["r", "l", "r", "r", "r", "r", "l"],
        rows,
    )


def _fenced(text: str) -> str:
    """A code block that keeps an error's line breaks and carets, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"
