"""Issue 10 (1, 2, 4): a user's whole backward, in each declared convention, through the API.

Every convention key: code that keeps it, with the key declared, passes; the same code checked
under the default declaration fails (a located error naming the key, or a failing row whose hint
names it). The user code comes from :mod:`.impl_networks`, written from first principles.
"""

from __future__ import annotations

from typing import Any

import pytest

from backprop_check import BackpropCheckError, ConfigError, check

from .impl_networks import config, user_code

# (the impl: keys the code keeps and the config declares, the convention's loss)
CONVENTIONS: list[dict[str, Any]] = [
    {},
    {"layout": "columns"},
    {"weights": "in_out"},
    {"biases": "column"},
    {"biases": "row"},
    {"labels": "index"},
    {"reduce": "sum"},
    {"returns": ["db", "dW"]},
    {"returns": ["dW", "db", "phi"]},
    {"returns": ["loss", "dW", "db"]},
    {"per_sample": True, "layout": "columns", "returns": ["db", "dW"]},
    {"per_sample": True, "returns": ["dW", "db", "phi"], "reduce": "sum"},
    {"per_sample": True, "labels": "index", "weights": "in_out", "biases": "row"},
    {"regularization": {"l2": 0.1}},
    {"regularization": {"half_l2": 0.1}, "reduce": "sum"},
    {"layout": "columns", "biases": "column", "weights": "in_out", "returns": ["phi", "db", "dW"]},
]


def _name(case: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in case.items()) or "defaults"


@pytest.mark.parametrize("case", CONVENTIONS, ids=_name)
def test_code_in_the_declared_conventions_passes(case: dict[str, Any]) -> None:
    report = check(config(**case), impl=user_code(**case))
    assert report.passed, report.diagnosis
    assert report.first_failure is None
    returns_phi = "phi" in case.get("returns", ())
    assert len(report.skipped) == (0 if returns_phi else 2)
    assert all(check.quantity == "phi" for check in report.skipped)
    assert len(report.checked) == (6 if returns_phi else 4)


@pytest.mark.parametrize("cost", ["mse", "half_sse"])
def test_other_losses_in_other_conventions_pass(cost: str) -> None:
    case = {"layout": "columns", "weights": "in_out", "returns": ["dW", "db", "phi"]}
    report = check(config(cost, **case), impl=user_code(cost=cost, **case))
    assert report.passed, report.diagnosis


# Code that keeps a convention, checked under the defaults: the key the message names.
@pytest.mark.parametrize(
    ("kept", "key", "fragment"),
    [
        ({"biases": "column"}, "biases", "declare biases: column, or your config does not match"),
        ({"biases": "row"}, "biases", "declare biases: row"),
        ({"returns": ["db", "dW"]}, "returns", "declare returns: [db, dW]"),
    ],
)
def test_results_in_other_conventions_are_a_located_error_naming_the_key(
    kept: dict[str, Any], key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        check(config(), impl=user_code(**kept))
    assert raised.value.key == f"impl.{key}"
    assert fragment in str(raised.value)


@pytest.mark.parametrize(
    ("declared", "bug", "key", "fragment"),
    [
        ({}, "transposed_dW", "weights", "of shape (3, 4) where (4, 3) weights: out_in gives; "
                                          "declare weights: in_out"),
        ({"weights": "in_out"}, "transposed_dW", "weights", "declare weights: out_in"),
        ({"biases": "column"}, "flat_bias", "biases", "of shape (4,) where (4, 1) biases: "
                                                      "column gives; declare biases: flat"),
        ({}, "swapped_returns", "returns", "returned [db, dW] (by their shapes) where returns "
                                           "declares [dW, db]"),
        ({"returns": ["dW", "db", "phi"]}, "swapped_returns", "returns",
         "declare returns: [db, dW, phi]"),
        ({}, "dict", "returns", "returned a dict (keys dW, db) where returns declares [dW, db]"),
    ],
)  # fmt: skip
def test_a_mismatched_result_is_one_line_naming_the_key_to_change(
    declared: dict[str, Any], bug: str, key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        check(config(**declared), impl=user_code(bug=bug, **declared))
    message = str(raised.value)
    assert raised.value.key == f"impl.{key}"
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("kept", "said"),
    [
        ({"layout": "columns"}, "x (5, 3) and y (5, 3) (layout: rows, labels: one_hot"),
        ({"weights": "in_out"}, "W¹ (4, 3), W² (3, 4) (weights: out_in)"),
        ({"labels": "index"}, "(layout: rows, labels: one_hot"),
    ],
)
def test_code_that_breaks_on_undeclared_shapes_is_told_the_shapes_and_keys(
    kept: dict[str, Any], said: str
) -> None:
    with pytest.raises(BackpropCheckError) as raised:
        check(config(), impl=user_code(**kept))
    message = str(raised.value)
    assert "backward raised" in message
    assert said in message
    assert "declare its conventions in impl:, or your config does not match your code" in message


def test_index_labels_are_integer_classes_of_shape_batch() -> None:
    seen: list[Any] = []
    inner = user_code(labels="index")["backward"]

    def backward(weights, biases, x, y):
        seen.append(y)
        return inner(weights, biases, x, y)

    assert check(config(labels="index"), impl={"backward": backward}).passed
    assert seen[0].shape == (5,)
    assert seen[0].dtype.kind == "i"


def test_per_sample_calls_once_per_sample_with_one_column() -> None:
    shapes: list[tuple[int, ...]] = []
    inner = user_code(layout="columns")["backward"]

    def backward(weights, biases, x, y):
        shapes.append(x.shape)
        return inner(weights, biases, x, y)

    case = {"layout": "columns", "per_sample": True}
    assert check(config(**case), impl={"backward": backward}).passed
    assert shapes == [(3, 1)] * 5


def test_per_sample_results_are_combined_by_the_reduction() -> None:
    # Per sample, mean and sum are the same call; combined, sum is B × mean, so code whose
    # per-sample gradients are right passes under either declaration, and the gradients
    # reported differ by B.
    mean = check(config(per_sample=True), impl=user_code())
    summed = check(config(per_sample=True, reduce="sum"), impl=user_code(reduce="sum"))
    assert mean.passed
    assert summed.passed
    w_mean = next(c for c in mean.checks if c.quantity == "W" and c.layer == 1)
    w_sum = next(c for c in summed.checks if c.quantity == "W" and c.layer == 1)
    ratio = w_sum.comparison.worst_analytic / w_mean.comparison.worst_analytic
    assert ratio == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("declared", "bug", "hint"),
    [
        ({}, "sum_for_mean", "your code sums over the batch where the config declares reduce: "
                             "mean; declare reduce: sum, or your config does not match your code"),
        ({"reduce": "sum"}, "sum_for_mean", "your code averages the batch where the config "
                                            "declares reduce: sum; declare reduce: mean"),
        ({"regularization": {"l2": 0.1}}, "no_penalty", "your code leaves out the gradient 2λW "
                                                       "of the declared regularization l2: 0.1"),
        ({"regularization": {"half_l2": 0.1}}, "no_penalty", "leaves out the gradient λW of the "
                                                            "declared regularization half_l2"),
    ],
)  # fmt: skip
def test_a_convention_mismatch_fails_with_a_hint_naming_the_key(
    declared: dict[str, Any], bug: str, hint: str
) -> None:
    report = check(config(**declared), impl=user_code(bug=bug, **declared))
    assert not report.passed
    assert report.first_failure is not None
    assert report.first_failure.quantity == "W"
    assert report.first_failure.equation == 3
    failing = [c for c in report.checked if not c.passed]
    assert failing
    assert all(hint in (c.hint or "") for c in failing)
    assert hint in report.diagnosis


@pytest.mark.parametrize("kind", ["l2", "half_l2"])
def test_undeclared_penalty_in_the_code_is_named_with_its_strength(kind: str) -> None:
    report = check(config(), impl=user_code(regularization={kind: 0.1}))
    assert not report.passed
    assert "your code adds an L2 gradient" in report.diagnosis
    assert "or your config does not match your code" in report.diagnosis


def test_an_l2_penalty_of_the_wrong_strength_names_the_strength_in_the_code() -> None:
    report = check(config(regularization={"l2": 0.1}), impl=user_code(regularization={"l2": 0.3}))
    assert not report.passed
    assert "declare l2: 0.3 (or half_l2: 0.6)" in report.diagnosis


def test_a_per_sample_phi_under_reduce_mean_is_named() -> None:
    case = {"returns": ["dW", "db", "phi"]}
    report = check(config(**case), impl=user_code(bug="phi_per_sample", **case))
    assert not report.passed
    phis = [c for c in report.checked if c.quantity == "phi"]
    assert all(not c.passed for c in phis)
    assert all(
        "is B × the finite differences (B = 5): your φ is the per-sample ∂L_s/∂z" in (c.hint or "")
        for c in phis
    )
    assert all(c.passed for c in report.checked if c.quantity != "phi")


def test_gradients_of_half_sse_under_mse_name_the_loss() -> None:
    document = config("mse")
    document["layers"][1]["units"] = 3
    report = check(document, impl=user_code(cost="half_sse"))
    assert not report.passed
    failing = [c for c in report.checked if not c.passed]
    assert failing
    assert all(
        "is n/2 × the finite differences (n = 3 outputs): your code differentiates ½ Σ(y − a)² "
        "where the config declares mse" in (c.hint or "")
        for c in failing
    )
    assert all("declare loss: half_sse, or your config does not" in (c.hint or "") for c in failing)


def test_code_that_updates_the_weights_in_place_is_checked_at_the_given_ones() -> None:
    # Layer objects whose backward takes an SGD step: the arrays handed over are copies, so the
    # step changes neither the network the finite differences perturb nor the next call's input.
    inner = user_code()

    def backward(weights, biases, x, y):
        results = inner["backward"](weights, biases, x, y)
        for w, g in zip(weights, results[0], strict=True):
            w -= 0.5 * g
        for b, g in zip(biases, results[1], strict=True):
            b -= 0.5 * g
        x *= 0.0
        return results

    report = check(config(loss="loss"), impl={"backward": backward, "loss": inner["loss"]})
    assert report.passed, report.diagnosis
    assert report.forward is not None
    assert report.forward.passed


def test_mean_code_returning_phi_under_reduce_sum_is_the_reduction() -> None:
    # Every row, φ included, is 1/B × what reduce: sum gives: one key explains them all.
    declared = {"reduce": "sum", "returns": ["dW", "db", "phi"]}
    report = check(config(**declared), impl=user_code(returns=["dW", "db", "phi"]))
    assert not report.passed
    assert report.first_failure is not None
    assert (report.first_failure.quantity, report.first_failure.equation) == ("W", 3)
    assert report.diagnosis.startswith(
        "Every failing φ, ∇W and ∇b is 1/B × the finite differences (B = 5, the batch size): "
        "the error is in the reduction of Eq. 3 and Eq. 4"
    )
    phis = [c for c in report.checked if c.quantity == "phi"]
    assert all("where the config declares reduce: sum; declare reduce: mean" in (c.hint or "")
               for c in phis)  # fmt: skip


def test_a_reduction_mismatch_is_named_under_a_penalty_too() -> None:
    # Mean code with its L2 term, declared reduce: sum: ∇W = mean + ∇R is no constant factor of
    # sum + ∇R, but ∇W − ∇R is 1/B of the sum: the key to change is still reduce.
    declared = {"reduce": "sum", "regularization": {"half_l2": 0.2}}
    report = check(config(**declared), impl=user_code(regularization={"half_l2": 0.2}))
    assert not report.passed
    failing = [c for c in report.checked if not c.passed]
    assert {c.quantity for c in failing} == {"W", "b"}
    assert all("declare reduce: mean, or your config does not match" in (c.hint or "")
               for c in failing)  # fmt: skip
    assert report.diagnosis.startswith("Every failing ∇W and ∇b is 1/B × the finite differences")
    w_hints = [c.hint or "" for c in failing if c.quantity == "W"]
    assert all("is 1/B × the finite differences, ∇R apart (B = 5" in h for h in w_hints)
