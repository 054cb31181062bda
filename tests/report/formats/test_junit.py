"""JUnit XML: valid for CI reporters, counted right, naming the broken layer and equation."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from junitparser import Error, Failure, JUnitXml
from lxml import etree

from backprop_check.report.data import RunResult
from backprop_check.report.formats import to_junit

from .samples import (
    BAD_PATH,
    EQ2_DIAGNOSIS,
    INVALID_ERROR,
    INVALID_PATH,
    OK_PATH,
    SAMPLED_COVERAGE,
    row,
)

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


def _suite(root: ET.Element, name: str) -> ET.Element:
    (suite,) = [suite for suite in root.iter("testsuite") if suite.get("name") == name]
    return suite


def _case(suite: ET.Element, name: str) -> ET.Element:
    (case,) = [case for case in suite.iter("testcase") if case.get("name") == name]
    return case


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
    c = row(failing, 2, "phi").comparison
    message = failure.get("message")
    assert message.startswith("layer 2 · φ² (Eq. 2): ")
    assert f"{c.failed} of {c.checked} checked elements fail" in message
    assert f"max abs error {c.max_abs_error:.2e}" in message
    assert f"max rel error {c.max_rel_error:.2e}" in message
    assert f"worst element {list(c.worst_index)}" in message
    assert f"analytic {c.worst_analytic:+.6e}, numeric {c.worst_numeric:+.6e}" in message
    assert "\n" not in message
    assert failure.text.startswith(f"Diagnosis: {EQ2_DIAGNOSIS}")
    assert f"Hint: {row(failing, 2, 'phi').hint}" in failure.text
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


def test_junit_says_which_configs_were_only_sampled(passing, sampled) -> None:
    results = [RunResult(OK_PATH, report=passing), RunResult(BAD_PATH, report=sampled)]
    root = ET.fromstring(to_junit(results))
    coverage = {
        suite.get("name"): {p.get("name"): p.get("value") for p in suite.find("properties")}.get(
            "coverage"
        )
        for suite in root
    }
    assert coverage == {OK_PATH: None, BAD_PATH: SAMPLED_COVERAGE}
    assert SAMPLED_COVERAGE in _suite(root, BAD_PATH).find("system-out").text
    etree.XMLSchema(etree.fromstring(JUNIT_XSD)).assertValid(
        etree.fromstring(to_junit(results).encode())
    )
