"""What the format tests render: where the reports claim to come from, and what they say."""

from __future__ import annotations

from backprop_check.report.data import CheckReport, QuantityCheck

OK_PATH = "configs/ok.yaml"
BAD_PATH = "configs/bad.net.yaml"
INVALID_PATH = "configs/broken.yaml"
INVALID_ERROR = (
    "configs/broken.yaml, line 2, column 33, key 'layers[0].activation': unknown activation "
    "'nope'. Expected one of: linear, relu, sigmoid, softmax, tanh."
)
EQ2_DIAGNOSIS = "φ³ passes but φ² fails: the error is in Eq. 2 between layers 3 and 2"


def row(report: CheckReport, layer: int, quantity: str) -> QuantityCheck:
    return next(c for c in report.checks if (c.layer, c.quantity) == (layer, quantity))


# What a check of 2 sampled elements per tensor of small_config says about itself.
SAMPLED_COVERAGE = (
    "checked 18 of 153 elements: a bug in one element is found with probability ≈ 11.8 %"
)
