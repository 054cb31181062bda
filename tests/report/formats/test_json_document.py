"""JSON: one config is its own document; several are {"passed", "runs"}; the text is UTF-8."""

from __future__ import annotations

import json

from backprop_check.report.data import CheckReport, RunResult
from backprop_check.report.formats import json_text, runs_document

from .samples import INVALID_ERROR, INVALID_PATH, OK_PATH


def test_one_config_is_its_own_document(passing: CheckReport) -> None:
    assert runs_document([RunResult(OK_PATH, report=passing)]) == passing.to_dict()


def test_several_configs_pass_only_together(passing: CheckReport) -> None:
    results = [RunResult(OK_PATH, report=passing), RunResult(INVALID_PATH, error=INVALID_ERROR)]
    document = runs_document(results)
    assert document["passed"] is False
    assert [run["config"] for run in document["runs"]] == [passing.config, INVALID_PATH]
    # --fail-fast may stop after one config of several: still the several-config shape.
    assert set(runs_document(results[:1], several=True)) == {"passed", "runs"}


def test_json_text_keeps_the_notation_readable(passing: CheckReport) -> None:
    text = json_text({"symbol": "φ²", "report": passing.to_dict()})
    assert '"symbol": "φ²"' in text
    assert text.endswith("}\n")
    assert json.loads(text)["report"]["passed"] is True
