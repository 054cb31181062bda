"""JUnit XML for CI test reporters: one config is one test suite, each layer × quantity one test
case, so a CI server lists φ², ∇W² and ∇b² as separate tests."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePath

from ...core.notation import quantity_symbol
from ..data import CheckReport, QuantityCheck, RunResult
from ..data.selftest import SelftestReport
from ..data.sweep import SweepReport, format_step
from .cause import Causes, causes
from .sentences import number, signed

__all__ = ["selftest_junit", "sweep_junit", "to_junit"]

_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 forbids even as references; ElementTree would write them and break parsers.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def _row_name(check: QuantityCheck) -> str:
    """'layer 2 · φ² (Eq. 2)': the test a CI server lists for one row."""
    symbol = quantity_symbol(check.quantity, check.layer)
    return f"layer {check.layer} · {symbol} (Eq. {check.equation})"


def to_junit(results: Sequence[RunResult]) -> str:
    """A JUnit XML document: one test suite per config, one test case per layer × quantity.

    Failing rows carry a ``GradientMismatch`` failure; a config that could not be checked is a
    single ``config`` test case with a ``ConfigError`` error.
    """
    classnames = _classnames(results)
    suites = [
        _suite(result, classname) for result, classname in zip(results, classnames, strict=True)
    ]
    return _document(suites)


def _document(suites: Sequence[ET.Element]) -> str:
    root = ET.Element(
        "testsuites",
        _attributes(
            name="bpcheck",
            tests=sum(int(suite.get("tests", "0")) for suite in suites),
            failures=sum(int(suite.get("failures", "0")) for suite in suites),
            errors=sum(int(suite.get("errors", "0")) for suite in suites),
            time=_seconds(sum(float(suite.get("time", "0")) for suite in suites)),
        ),
    )
    root.extend(suites)
    ET.indent(root)
    return _XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


def _seconds(value: float | None) -> str:
    """Seconds to the microsecond; 0 where nothing was measured."""
    return f"{value or 0.0:.6f}"


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
    forward = report.forward
    # The config's own time includes loading it; without one, the rows' times add up.
    seconds = result.seconds
    if seconds is None:
        seconds = sum(check.seconds or 0.0 for check in checks)
    suite = ET.Element(
        "testsuite",
        _attributes(
            name=result.config,
            tests=len(checks) + (forward is not None),
            failures=sum(not check.passed for check in checks)
            + (forward is not None and not forward.passed),
            errors=0,
            skipped=len(report.skipped),
            time=_seconds(seconds),
        ),
    )
    suite.append(_properties(report))
    if forward is not None:
        suite.append(_forward_case(report, classname))
    found = causes(report)
    for check in checks:
        suite.append(_testcase(check, report, classname, found))
    output = ET.SubElement(suite, "system-out")
    coverage = [] if report.coverage is None else [report.coverage.statement()]
    output.text = _xml_text("\n".join([report.diagnosis, *coverage, *report.warnings]))
    return suite


def _invalid_suite(result: RunResult, classname: str) -> ET.Element:
    error_text = result.error or "the config could not be checked"
    # A wrong derivative found before the check is a failure (exit 1), anything else an error.
    failed = result.wrong_gradient
    suite = ET.Element(
        "testsuite",
        _attributes(
            name=result.config,
            tests=1,
            failures=int(failed),
            errors=int(not failed),
            skipped=0,
            time=_seconds(result.seconds),
        ),
    )
    case = ET.SubElement(
        suite,
        "testcase",
        _attributes(name="config", classname=classname, time=_seconds(result.seconds)),
    )
    kind = ("failure", "WrongDerivative") if failed else ("error", "ConfigError")
    error = ET.SubElement(case, kind[0], _attributes(message=error_text, type=kind[1]))
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
    if report.coverage is not None:
        values["coverage"] = report.coverage.statement()
    for name, value in values.items():
        ET.SubElement(properties, "property", _attributes(name=name, value=value))
    return properties


def _forward_case(report: CheckReport, classname: str) -> ET.Element:
    """The forward row: your loss against the config's network."""
    forward = report.forward
    assert forward is not None
    case = ET.Element("testcase", _attributes(name="forward", classname=classname, time=0))
    if not forward.passed:
        failure = ET.SubElement(
            case, "failure", _attributes(message=forward.sentence, type="ForwardMismatch")
        )
        failure.text = _xml_text("\n".join(filter(None, [forward.sentence, forward.hint])))
    return case


def _testcase(
    check: QuantityCheck, report: CheckReport, classname: str, found: Causes
) -> ET.Element:
    case = ET.Element(
        "testcase",
        _attributes(name=_row_name(check), classname=classname, time=_seconds(check.seconds)),
    )
    if check.skipped:
        ET.SubElement(case, "skipped", _attributes(message=check.note or "not checked"))
    elif not check.passed:
        failure = ET.SubElement(
            case,
            "failure",
            _attributes(message=_failure_message(check, report), type="GradientMismatch"),
        )
        failure.text = _xml_text(_failure_body(check, report, found))
    return case


def _failure_message(check: QuantityCheck, report: CheckReport) -> str:
    """The one line a CI server shows: where, how many elements, how far off, and the worst."""
    c = check.comparison
    message = (
        f"{_row_name(check)}: {c.failed} of {c.checked} checked elements fail "
        f"(rtol {report.rtol:g}, atol {report.atol:g}); "
        f"max abs error {number(c.max_abs_error)}, max rel error {number(c.max_rel_error)}"
    )
    if c.worst_index:
        message += (
            f"; worst element {list(c.worst_index)}: analytic {signed(c.worst_analytic)}, "
            f"numeric {signed(c.worst_numeric)}"
        )
    return message


def _failure_body(check: QuantityCheck, report: CheckReport, found: Causes) -> str:
    lines = [f"Diagnosis: {report.diagnosis}"]
    source = found.source_of(check)
    if source is not None:
        # Its own hint would describe the inherited error, not a mistake of its own.
        lines.append(f"Follows from {source}: fix {source} first.")
    elif check.hint:
        lines.append(f"Hint: {check.hint}")
    if check.note:
        lines.append(f"Note: {check.note}")
    return "\n".join(lines)


def sweep_junit(report: SweepReport, *, seconds: float | None = None) -> str:
    """A sweep as JUnit: one test case per row, failing when the row passes at no eps (a bug)."""
    classname = "bpcheck.sweep." + _safe_name(PurePath(report.config).stem)
    suite = ET.Element(
        "testsuite",
        _attributes(
            name=f"sweep {report.config}",
            tests=len(report.rows),
            failures=sum(row.verdict == "bug" for row in report.rows),
            errors=0,
            skipped=0,
            time=_seconds(seconds),
        ),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("method", report.method),
        ("rtol", f"{report.rtol:g}"),
        ("configured_eps", format_step(report.configured_eps)),
        ("recommended_eps", format_step(report.recommended_eps)),
    ):
        ET.SubElement(properties, "property", _attributes(name=name, value=value))
    for row in report.rows:
        case = ET.SubElement(
            suite,
            "testcase",
            _attributes(name=f"{row.symbol} (Eq. {row.equation})", classname=classname),
        )
        if row.verdict == "bug":
            message = f"{row.symbol} agrees with the finite differences at no eps: a real bug."
            failure = ET.SubElement(
                case, "failure", _attributes(message=message, type="GradientMismatch")
            )
            failure.text = _xml_text(report.summary())
    ET.SubElement(suite, "system-out").text = _xml_text(report.summary())
    return _document([suite])


def selftest_junit(report: SelftestReport, *, seconds: float | None = None) -> str:
    """The selftest as JUnit: the correct build and each mutant one test case."""
    classname = "bpcheck.selftest"
    suite = ET.Element(
        "testsuite",
        _attributes(
            name="selftest",
            tests=len(report.results) + 1,
            failures=(not report.correct_passed) + sum(not r.caught for r in report.results),
            errors=0,
            skipped=0,
            time=_seconds(seconds),
        ),
    )
    correct = ET.SubElement(
        suite, "testcase", _attributes(name="correct build", classname=classname)
    )
    if not report.correct_passed:
        failure = ET.SubElement(
            correct, "failure", _attributes(message="the correct build fails", type="FalseAlarm")
        )
        failure.text = _xml_text("\n".join(report.correct_failures))
    for result in report.results:
        case = ET.SubElement(suite, "testcase", _attributes(name=result.name, classname=classname))
        if not result.caught:
            message = f"{result.name} was not caught: {result.explanation}"
            ET.SubElement(case, "failure", _attributes(message=message, type="MissedMutant"))
    return _document([suite])
