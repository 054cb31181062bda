"""JUnit XML and Markdown reports: valid for CI, counted right, naming the broken equation."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET

import pytest
from junitparser import Error, Failure, JUnitXml
from lxml import etree
from markdown_it import MarkdownIt

from backprop_check import check
from backprop_check.core.activations import ACTIVATIONS
from backprop_check.report.data import CheckReport, QuantityCheck, RunResult
from backprop_check.report.formats import to_junit, to_markdown

from ..helpers import small_config

OK_PATH = "configs/ok.yaml"
BAD_PATH = "configs/bad.net.yaml"
INVALID_PATH = "configs/broken.yaml"
INVALID_ERROR = (
    "configs/broken.yaml, line 2, column 33, key 'layers[0].activation': unknown activation "
    "'nope'. Expected one of: linear, relu, sigmoid, softmax, tanh."
)
EQ2_DIAGNOSIS = "φ³ passes but φ² fails: the error is in Eq. 2 between layers 3 and 2"

# The Jenkins / Ant JUnit dialect (after the xunit plugin's junit-10.xsd), limited to what the
# reporters of GitHub Actions, GitLab, Jenkins and Azure read: strict on element order and types.
JUNIT_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:simpleType name="time">
    <xs:restriction base="xs:decimal"><xs:minInclusive value="0"/></xs:restriction>
  </xs:simpleType>
  <xs:complexType name="problem" mixed="true">
    <xs:attribute name="message" type="xs:string" use="required"/>
    <xs:attribute name="type" type="xs:string" use="required"/>
  </xs:complexType>
  <xs:element name="property">
    <xs:complexType>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="value" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="properties">
    <xs:complexType>
      <xs:sequence><xs:element ref="property" maxOccurs="unbounded"/></xs:sequence>
    </xs:complexType>
  </xs:element>
  <xs:element name="testcase">
    <xs:complexType>
      <xs:choice minOccurs="0" maxOccurs="1">
        <xs:element name="failure" type="problem"/>
        <xs:element name="error" type="problem"/>
      </xs:choice>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="classname" type="xs:string" use="required"/>
      <xs:attribute name="time" type="time" use="required"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="properties" minOccurs="0"/>
        <xs:element ref="testcase" minOccurs="1" maxOccurs="unbounded"/>
        <xs:element name="system-out" type="xs:string" minOccurs="0"/>
        <xs:element name="system-err" type="xs:string" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="skipped" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="time" type="time" use="required"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence><xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="time" type="time" use="required"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


@pytest.fixture(scope="module")
def passing() -> CheckReport:
    return check(small_config())


@pytest.fixture
def failing(monkeypatch) -> CheckReport:
    # σ' replaced by σ: Eq. 2 breaks at layer 2, and everything below it follows.
    sigmoid = ACTIVATIONS["sigmoid"]
    monkeypatch.setitem(
        ACTIVATIONS, "sigmoid", dataclasses.replace(sigmoid, derivative=sigmoid.value)
    )
    report = check(small_config())
    assert report.diagnosis.startswith(EQ2_DIAGNOSIS)
    return report


@pytest.fixture
def results(passing: CheckReport, failing: CheckReport) -> list[RunResult]:
    return [
        RunResult(OK_PATH, report=passing),
        RunResult(BAD_PATH, report=failing),
        RunResult(INVALID_PATH, error=INVALID_ERROR),
    ]


def _row(report: CheckReport, layer: int, quantity: str) -> QuantityCheck:
    return next(c for c in report.checks if (c.layer, c.quantity) == (layer, quantity))


def _suite(root: ET.Element, name: str) -> ET.Element:
    (suite,) = [suite for suite in root.iter("testsuite") if suite.get("name") == name]
    return suite


def _case(suite: ET.Element, name: str) -> ET.Element:
    (case,) = [case for case in suite.iter("testcase") if case.get("name") == name]
    return case


# --------------------------------------------------------------------------- JUnit XML


def test_junit_starts_with_the_declaration_and_parses_with_etree(results) -> None:
    text = to_junit(results)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<testsuites')
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    assert (root.get("name"), root.get("tests"), root.get("failures"), root.get("errors")) == (
        "bpcheck",
        "19",  # 9 + 9 rows, and one for the invalid config
        "6",
        "1",
    )
    assert [suite.get("name") for suite in root] == [OK_PATH, BAD_PATH, INVALID_PATH]


def test_junit_parses_with_junitparser_and_counts_each_suite(results) -> None:
    xml = JUnitXml.fromstring(to_junit(results).encode("utf-8"))
    assert (xml.tests, xml.failures, xml.errors) == (19, 6, 1)
    ok, bad, invalid = list(xml)
    assert (ok.name, ok.tests, ok.failures, ok.errors, ok.skipped) == (OK_PATH, 9, 0, 0, 0)
    assert (bad.tests, bad.failures, bad.errors) == (9, 6, 0)
    assert (invalid.tests, invalid.failures, invalid.errors) == (1, 0, 1)
    assert all(not case.result for case in ok)
    failed_names = {case.name for case in bad if any(isinstance(r, Failure) for r in case.result)}
    assert failed_names == {
        "layer 1 · φ¹ (Eq. 2)", "layer 1 · ∇W¹ (Eq. 3)", "layer 1 · ∇b¹ (Eq. 4)",
        "layer 2 · φ² (Eq. 2)", "layer 2 · ∇W² (Eq. 3)", "layer 2 · ∇b² (Eq. 4)",
    }  # fmt: skip
    assert {case.classname for case in bad} == {"bpcheck.bad_net"}


def test_junit_properties_record_how_the_check_ran(results, passing) -> None:
    suite = _suite(ET.fromstring(to_junit(results)), OK_PATH)
    properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert properties["method"] == "central"
    assert properties["loss"] == "categorical_crossentropy"
    assert properties["dtype"] == "float64"
    assert float(properties["eps"]) == passing.eps
    assert float(properties["rtol"]) == passing.rtol
    assert float(properties["atol"]) == passing.atol


def test_junit_failure_names_the_layer_equation_numbers_and_diagnosis(results, failing) -> None:
    suite = _suite(ET.fromstring(to_junit(results)), BAD_PATH)
    case = _case(suite, "layer 2 · φ² (Eq. 2)")
    (failure,) = case
    assert failure.tag == "failure"
    assert failure.get("type") == "GradientMismatch"
    c = _row(failing, 2, "phi").comparison
    message = failure.get("message")
    assert message.startswith("layer 2 · φ² (Eq. 2): ")
    assert f"{c.failed} of {c.checked} checked elements fail" in message
    assert f"max abs error {c.max_abs_error:.2e}" in message
    assert f"max rel error {c.max_rel_error:.2e}" in message
    assert f"worst element {list(c.worst_index)}" in message
    assert f"analytic {c.worst_analytic:+.6e}, numeric {c.worst_numeric:+.6e}" in message
    assert "\n" not in message
    assert failure.text.startswith(f"Diagnosis: {EQ2_DIAGNOSIS}")
    assert f"Hint: {_row(failing, 2, 'phi').hint}" in failure.text
    # The rows that pass stay plain test cases.
    assert list(_case(suite, "layer 3 · φ³ (Eq. 1)")) == []


def test_junit_invalid_config_is_one_error_test_case(results) -> None:
    suite = _suite(ET.fromstring(to_junit(results)), INVALID_PATH)
    (case,) = suite.iter("testcase")
    assert (case.get("name"), case.get("classname")) == ("config", "bpcheck.broken")
    (error,) = case
    assert (error.tag, error.get("type")) == ("error", "ConfigError")
    assert error.get("message") == INVALID_ERROR
    xml = JUnitXml.fromstring(to_junit(results).encode("utf-8"))
    (parsed,) = list(list(xml)[2])
    assert [type(result) for result in parsed.result] == [Error]


def test_junit_validates_against_the_ant_junit_schema(results) -> None:
    schema = etree.XMLSchema(etree.fromstring(JUNIT_XSD))
    document = etree.fromstring(to_junit(results).encode("utf-8"))
    schema.assertValid(document)


def test_the_schema_rejects_what_ci_servers_would(results) -> None:
    # The schema check must be able to fail: a failure without its message is not the dialect.
    schema = etree.XMLSchema(etree.fromstring(JUNIT_XSD))
    document = etree.fromstring(to_junit(results).encode("utf-8"))
    next(document.iter("failure")).attrib.pop("message")
    assert not schema.validate(document)


def test_special_characters_stay_valid_xml(passing) -> None:
    path = "odd dir/a<b>&\"c'.v2.yaml"
    error = "line 1: expected <number> & got \"x\" | 'y'\nline 2: \x1b[31mcolour\x1b[0m"
    text = to_junit([RunResult(path, report=passing), RunResult("x&y.yaml", error=error)])
    root = ET.fromstring(text)
    etree.XMLSchema(etree.fromstring(JUNIT_XSD)).assertValid(etree.fromstring(text.encode()))
    assert [suite.get("name") for suite in root] == [path, "x&y.yaml"]
    assert {case.get("classname") for case in root.iter("testcase")} == {
        "bpcheck.a_b_c_v2",
        "bpcheck.x_y",
    }
    message = next(root.iter("error")).get("message")
    # Newlines survive in the attribute; the escape character XML forbids is replaced.
    assert message == error.replace("\x1b", "\ufffd")


def test_configs_sharing_a_stem_get_distinct_classnames(passing) -> None:
    results = [RunResult("a/net.yaml", report=passing), RunResult("b/net.yml", report=passing)]
    root = ET.fromstring(to_junit(results))
    assert [next(suite.iter("testcase")).get("classname") for suite in root] == [
        "bpcheck.a_net",
        "bpcheck.b_net",
    ]


def test_no_results_is_an_empty_but_valid_document() -> None:
    root = ET.fromstring(to_junit([]))
    assert (root.get("tests"), len(root)) == ("0", 0)


# --------------------------------------------------------------------------- Markdown


def _cells(line: str) -> list[str]:
    """A table row's cells, split at the pipes that are not escaped."""
    assert line.startswith("| "), line
    assert line.endswith(" |"), line
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line[1:-1])]


def _table_after(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(_cells(line))
    return rows


SUMMARY_HEADER = "| config | result | loss | method | failed checks | diagnosis |"
DETAILS_HEADER = "| layer | check | eq. | max abs err | max rel err | failed/checked | result |"


def test_markdown_heading_and_summary_table(results) -> None:
    text = to_markdown(results)
    assert text.splitlines()[0] == "## bpcheck: 1 of 3 configs passed"
    assert text.splitlines()[3] == "| --- | --- | --- | --- | ---: | --- |"
    ok, bad, invalid = _table_after(text, SUMMARY_HEADER)
    assert ok == [OK_PATH, "✅ passed", "categorical_crossentropy", "central", "0 of 9", "—"]
    assert bad[:5] == [BAD_PATH, "❌ failed", "categorical_crossentropy", "central", "6 of 9"]
    assert bad[5].startswith(EQ2_DIAGNOSIS)
    assert invalid == [INVALID_PATH, "⚠️ invalid", "—", "—", "—", INVALID_ERROR]


def test_markdown_details_of_a_failing_config(results, failing) -> None:
    text = to_markdown(results)
    assert f"### ❌ failed: {BAD_PATH}" in text
    rows = _table_after(text.split(f"### ❌ failed: {BAD_PATH}")[1], DETAILS_HEADER)
    assert len(rows) == 9
    c = _row(failing, 2, "phi").comparison
    assert rows[3] == [
        "2",
        "φ²",
        "2",
        f"{c.max_abs_error:.2e}",
        f"{c.max_rel_error:.2e}",
        "25/25",
        "❌ **FAIL**",
    ]
    assert rows[6][0:3] == ["3", "φ³", "1"]
    assert rows[6][5:] == ["0/15", "✅ pass"]
    assert f"**Diagnosis:** {failing.diagnosis}" in text
    assert f"- **φ¹**: {_row(failing, 1, 'phi').hint.replace('>', chr(92) + '>')}" in text


def test_markdown_keeps_passing_configs_compact(results) -> None:
    text = to_markdown(results)
    assert text.count(OK_PATH) == 1
    assert text.count(DETAILS_HEADER) == 1
    assert to_markdown([results[0]]) == (
        "## bpcheck: 1 of 1 config passed\n\n"
        f"{SUMMARY_HEADER}\n"
        "| --- | --- | --- | --- | ---: | --- |\n"
        f"| {OK_PATH} | ✅ passed | categorical_crossentropy | central | 0 of 9 | — |\n"
    )


def test_markdown_shows_an_invalid_configs_whole_error() -> None:
    error = "line 3: bad expression\n    1 +* x\n      ^\nuse ``` sparingly"
    text = to_markdown([RunResult("bad.yaml", error=error)])
    assert text.startswith("## bpcheck: 0 of 1 config passed\n")
    assert _table_after(text, SUMMARY_HEADER)[0][5] == "line 3: bad expression"
    assert f"### ⚠️ invalid: bad.yaml\n\n````text\n{error}\n````" in text


def test_markdown_escapes_pipes_newlines_and_markup(passing) -> None:
    path = "dir|x/<b>net</b>*_v2_*[a](http://e.org).yaml"
    error = "one | two\nthree"
    text = to_markdown([RunResult(path, report=passing), RunResult("e.yaml", error=error)])
    ok, invalid = _table_after(text, SUMMARY_HEADER)
    assert len(ok) == len(invalid) == 6
    assert ok[0] == r"dir\|x/\<b\>net\</b\>\*\_v2\_\*[a\](http://e.org).yaml"
    assert invalid[5] == r"one \| two"
    # Rendered as GitHub would: one cell each, literal text, no tags or emphasis.
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<td>dir|x/&lt;b&gt;net&lt;/b&gt;*_v2_*[a](http://e.org).yaml</td>" in html
    for markup in ("<b>", "<em>", "<a "):
        assert markup not in html


def test_markdown_newlines_inside_a_cell_become_line_breaks(failing) -> None:
    report = dataclasses.replace(failing, diagnosis="first line\nsecond | line")
    (row,) = _table_after(to_markdown([RunResult("x.yaml", report=report)]), SUMMARY_HEADER)
    assert row[5] == r"first line<br>second \| line"
