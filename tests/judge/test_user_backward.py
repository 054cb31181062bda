"""Your whole backward raising on shapes it did not expect: the message says what it was given
and the keys that chose it (the worked examples with a declaration left out)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from backprop_check.cli import main

from ..helpers import example_with


def _error(runner: CliRunner, config: Path) -> str:
    result = runner.invoke(main, ["run", str(config)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message
    return message


def test_a_value_error_says_the_shapes_and_keys_it_was_given(
    runner: CliRunner, tmp_path: Path
) -> None:
    # TwoLayerNet keeps W1 as (D, H); declared out_in, X.dot(W1) fails on the inner dimension.
    message = _error(runner, example_with(tmp_path, "cs231n_two_layer_net", weights=None))
    assert "backward raised ValueError" in message
    assert "neural_net.py, line " in message
    assert (
        "It was called with x (5, 4) and y (5,) (layout: rows, labels: index, per_sample: false), "
        "W¹ (10, 4), W² (3, 10) (weights: out_in), b¹ (10,), b² (3,) (biases: flat)"
    ) in message
    assert "declare its conventions in impl:, or your config does not match your code" in message


def test_an_index_error_with_one_hot_labels_mentions_labels_index(
    runner: CliRunner, tmp_path: Path
) -> None:
    # probs[np.arange(N), y] with a one-hot (N, C) y of floats.
    message = _error(runner, example_with(tmp_path, "cs231n_two_layer_net", labels=None))
    assert "backward raised IndexError" in message
    assert "x (5, 4) and y (5, 3) (layout: rows, labels: one_hot, per_sample: false)" in message
    assert (
        "declare its conventions in impl: (labels: index if it indexes with the labels, as "
        "probs[np.arange(N), y] does), or your config does not match your code."
    ) in message


def test_a_column_bias_left_undeclared_says_the_biases_it_was_given(
    runner: CliRunner, tmp_path: Path
) -> None:
    message = _error(runner, example_with(tmp_path, "nielsen_network", biases=None))
    assert "backward (sample 0) raised ValueError" in message
    assert "b¹ (4,), b² (4,), b³ (4,) (biases: flat)" in message
    assert "labels: index if" not in message
