"""The conventions module: what is handed to your code, what is read back, and the key a
mismatch names (through the command line, on the worked examples with a key changed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_check.cli import main
from backprop_check.judge.conventions import ConventionError, Conventions, Shapes, combine
from backprop_check.spec.impl_section import ImplSpec

from ..helpers import example_with

SHAPES = Shapes(weights=((4, 3), (2, 4)), batch=5)


def _conventions(**keys: Any) -> Conventions:
    return Conventions(ImplSpec(file=Path("n.py"), **keys))


def _results(rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    return {
        "dW": [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))],
        "db": [rng.normal(size=4), rng.normal(size=2)],
        "phi": [rng.normal(size=(5, 4)), rng.normal(size=(5, 2))],
    }


def test_parameters_and_batch_are_handed_over_as_declared(rng: np.random.Generator) -> None:
    w, b = [rng.normal(size=(4, 3))], [rng.normal(size=4)]
    x, y = rng.normal(size=(5, 3)), np.eye(3)[[0, 2, 1, 1, 0]]
    theirs = _conventions(layout="columns", weights="in_out", biases="row", labels="index")
    assert theirs.weights(w)[0].shape == (3, 4)
    assert np.array_equal(theirs.weights(w)[0], w[0].T)
    assert theirs.biases(b)[0].shape == (1, 4)
    assert theirs.inputs(x).shape == (3, 5)
    assert np.array_equal(theirs.labels(y), [0, 2, 1, 1, 0])
    # Copies: code that updates in place leaves the checked network alone.
    theirs.weights(w)[0][0, 0] += 1.0
    theirs.biases(b)[0][0, 0] += 1.0
    assert np.array_equal(_conventions().weights(w)[0], w[0])
    assert np.array_equal(_conventions().biases(b)[0], b[0])


def test_per_sample_calls_hand_over_one_sample_each(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(5, 3)), np.eye(2)[[0, 1, 1, 0, 1]]
    calls = _conventions(per_sample=True, layout="columns").calls(x, y)
    assert [(xs.shape, ys.shape) for xs, ys in calls] == [((3, 1), (2, 1))] * 5
    assert np.array_equal(calls[2][0][:, 0], x[2])


def test_index_labels_need_one_hot_labels() -> None:
    with pytest.raises(ConventionError) as raised:
        _conventions(labels="index").labels(np.array([[0.2, 0.8], [1.0, 0.0]]))
    assert raised.value.key_path == ("impl", "labels")
    assert "sample 0's label is not one-hot" in str(raised.value)


@pytest.mark.parametrize(
    "keys",
    [{}, {"weights": "in_out"}, {"biases": "column"}, {"layout": "columns"}, {"biases": "row"}],
    ids=str,
)
def test_results_read_back_into_the_tools_shapes(
    keys: dict[str, Any], rng: np.random.Generator
) -> None:
    ours = _results(rng)
    conventions = _conventions(returns=("phi", "db", "dW"), **keys)
    theirs = {
        "dW": [g.T if keys.get("weights") == "in_out" else g for g in ours["dW"]],
        "db": [
            g.reshape({"column": (-1, 1), "row": (1, -1)}.get(keys.get("biases", ""), (-1,)))
            for g in ours["db"]
        ],
        "phi": [p.T if keys.get("layout") == "columns" else p for p in ours["phi"]],
    }
    read = conventions.read((theirs["phi"], theirs["db"], theirs["dW"]), SHAPES)
    for name in ("dW", "db", "phi"):
        for got, expected in zip(read[name], ours[name], strict=True):
            assert np.array_equal(got, expected)


@pytest.mark.parametrize(
    ("result", "key", "fragment"),
    [
        (lambda r: (r["dW"], r["db"][:1]), ("layers",), "returned 1 arrays for db where the "
                                                        "config's network has 2 layers"),
        (lambda r: (np.ones(3), r["db"]), (), "for dW where a list of 2 arrays"),
        (lambda r: (r["dW"],), ("impl", "returns"), "returned 1 values where returns declares 2"),
        (lambda r: r["dW"][0], ("impl", "returns"), "returned a ndarray where returns declares 2"),
        (lambda r: ([r["dW"][0] * np.nan, r["dW"][1]], r["db"]), (), "NaN or infinity in ∇W¹"),
        (lambda r: (r["dW"], ["a", "b"]), (), "for ∇b¹ (db[0]) where a numpy array of numbers"),
        (lambda r: ([np.ones((4, 4)), r["dW"][1]], r["db"]), ("layers",),
         "the config's input_size and layers must match your code's"),
    ],
)  # fmt: skip
def test_unusable_results_say_what_and_where(
    result: Any, key: tuple[str, ...], fragment: str, rng: np.random.Generator
) -> None:
    with pytest.raises(ConventionError) as raised:
        _conventions().read(result(_results(rng)), SHAPES)
    assert raised.value.key_path == key
    assert fragment in str(raised.value)


def test_a_transposed_phi_names_the_layout(rng: np.random.Generator) -> None:
    ours = _results(rng)
    with pytest.raises(ConventionError) as raised:
        _conventions(returns=("dW", "db", "phi")).read(
            (ours["dW"], ours["db"], [p.T for p in ours["phi"]]), SHAPES
        )
    assert raised.value.key_path == ("impl", "layout")
    assert "declare layout: columns" in str(raised.value)


def test_a_returned_loss_must_be_one_finite_number(rng: np.random.Generator) -> None:
    ours = _results(rng)
    conventions = _conventions(returns=("loss", "dW", "db"))
    assert conventions.read((np.float64(1.5), ours["dW"], ours["db"]), SHAPES)["loss"] == 1.5
    with pytest.raises(ConventionError, match="NaN or infinity as its loss"):
        conventions.read((float("inf"), ours["dW"], ours["db"]), SHAPES)


def test_combine_reduces_by_mean_or_sum_and_scales_phi(rng: np.random.Generator) -> None:
    parts = [
        {"dW": [rng.normal(size=(2, 2))], "phi": [rng.normal(size=(1, 2))], "loss": float(i)}
        for i in range(4)
    ]
    mean = combine(parts, reduce="mean", batch=4)
    summed = combine(parts, reduce="sum", batch=4)
    assert np.allclose(summed["dW"][0], 4 * mean["dW"][0])
    assert summed["loss"] == 6.0
    assert mean["loss"] == 1.5
    assert mean["phi"][0].shape == (4, 2)
    assert np.allclose(summed["phi"][0], 4 * mean["phi"][0])
    assert np.allclose(summed["phi"][0][2], parts[2]["phi"][0][0])


def test_the_scale_of_the_checked_loss() -> None:
    assert _conventions().loss_factor(8) == 1.0
    assert _conventions(reduce="sum").loss_factor(8) == 8.0
    assert _conventions().phi_factor(8) == pytest.approx(1 / 8)
    assert _conventions(reduce="sum").phi_factor(8) == 1.0


# ------------------------------------------------------------------ the key a message names


def test_a_tuple_in_another_order_of_returns_names_the_order(runner: CliRunner, tmp_path: Path):
    # Nielsen's backprop returns (nabla_b, nabla_w); declared [dW, db], its shapes fit [db, dW].
    config = example_with(tmp_path, "nielsen_network", returns=["dW", "db"])
    result = runner.invoke(main, ["run", str(config)])
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "\n" not in message
    assert "key 'impl.returns'" in message
    assert (
        "returned [db, dW] (by their shapes) where returns declares [dW, db]; declare returns: "
        "[db, dW], or your config does not match your code."
    ) in message
    assert "'layers'" not in message


def test_an_order_the_shapes_fit_twice_names_both(rng: np.random.Generator) -> None:
    # One sample as a column: a column bias (4, 1) and a φ (4, 1) look alike.
    shapes = Shapes(weights=((4, 3), (2, 4)), batch=1)
    conventions = _conventions(layout="columns", biases="column", returns=("dW", "db", "phi"))
    dW = [rng.normal(size=w) for w in shapes.weights]
    db = [rng.normal(size=(w[0], 1)) for w in shapes.weights]
    phi = [rng.normal(size=(w[0], 1)) for w in shapes.weights]
    assert conventions.read((dW, db, phi), shapes)["dW"][0].shape == (4, 3)
    with pytest.raises(ConventionError) as raised:
        conventions.read((db, dW, phi), shapes)
    assert raised.value.key_path == ("impl", "returns")
    assert (
        "declare returns: [db, dW, phi] (or [phi, dW, db], which the shapes fit as well)"
    ) in str(raised.value)


def test_a_bias_gradient_keeping_the_batch_axis_names_per_sample(
    runner: CliRunner, tmp_path: Path
) -> None:
    # Nielsen's per-sample backprop handed the whole batch (5 columns): nabla_b is (4, 5).
    config = example_with(tmp_path, "nielsen_network", per_sample=None)
    result = runner.invoke(main, ["run", str(config)])
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "\n" not in message
    assert "key 'impl.per_sample'" in message
    assert (
        "returned ∇b¹ (db[0]) of shape (4, 5) where (4, 1) biases: column gives: it keeps an "
        "axis of the batch size (B = 5), as code written for one sample does when handed the "
        "whole batch; declare per_sample: true, or your config does not match your code."
    ) in message


def test_a_bias_of_other_sizes_still_names_the_layers(rng: np.random.Generator) -> None:
    ours = _results(rng)
    wrong = [rng.normal(size=7), ours["db"][1]]
    with pytest.raises(ConventionError) as raised:
        _conventions().read((ours["dW"], wrong), SHAPES)
    assert raised.value.key_path == ("layers",)
