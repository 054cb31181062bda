"""Heatmaps: a bad row red, the rest green, big tensors pooled to their worst blocks."""

from __future__ import annotations

import numpy as np

from backprop_check.report.presenter.heatmap import heatmap, pooled


def test_heatmap_colours_a_bad_row_red_and_the_rest_green() -> None:
    errors = np.full((4, 6), 1e-9)
    errors[2] = 0.5
    errors[0, 0] = np.nan
    text = heatmap(errors, rtol=1e-5)
    rows = text.plain.splitlines()
    assert rows[2] == "   2 " + "██" * 6
    styles = {(span.start, span.end): span.style for span in text.spans}
    row_start = len("\n".join(rows[:2])) + 1 + 5
    assert styles[(row_start, row_start + 2)] == "red"
    assert styles[(5, 7)] == "grey37"  # not judged (a kink)
    assert styles[(7, 9)] == "green"


def test_large_tensors_are_pooled_to_their_worst_blocks() -> None:
    errors = np.zeros((256, 784))
    errors[100, 500] = 1.0
    result = pooled(errors)
    assert result.shape == (32, 64)
    assert result.max() == 1.0
    assert np.count_nonzero(result) == 1
