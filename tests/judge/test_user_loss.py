"""Issue 10 (3, 4): your own loss (impl.loss, or a loss backward returns) and the forward row.

With impl.loss the finite differences of ∇W and ∇b differentiate your loss, one call per element
and step; the forward row compares your loss with the config's network at the same parameters,
comes first, and names a constant factor or an L2 term by the key that declares it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from backprop_check import BackpropCheckError, ConfigError, check

from .impl_networks import BATCH, HIDDEN, INPUTS, OUTPUTS, config, user_code

# Elements of W¹, b¹, W², b² of impl_networks' categorical network.
_PARAMETERS = HIDDEN * INPUTS + HIDDEN + OUTPUTS["categorical_crossentropy"] * (HIDDEN + 1)


def _counted(functions: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    calls = [0]
    inner = functions["loss"]

    def loss(weights, biases, x, y):
        calls[0] += 1
        return inner(weights, biases, x, y)

    return {**functions, "loss": loss}, calls


@pytest.mark.parametrize(
    "case",
    [
        {"loss": "loss"},
        {"loss": "loss", "reduce": "sum"},
        {"loss": "loss", "layout": "columns", "weights": "in_out", "labels": "index"},
        {"loss": "loss", "regularization": {"l2": 0.1}},
        {"loss": "loss", "regularization": {"half_l2": 0.2}, "reduce": "sum"},
        {"loss": "loss", "returns": ["dW", "db", "phi"]},
        {"returns": ["loss", "dW", "db"], "regularization": {"l2": 0.1}},
    ],
    ids=str,
)
def test_your_loss_and_backward_that_agree_pass_with_a_forward_row(case: dict[str, Any]) -> None:
    keys = {k: v for k, v in case.items() if k != "loss"}
    report = check(config(**case), impl=user_code(**keys))
    assert report.passed, report.diagnosis
    assert report.forward is not None
    assert report.forward.passed
    assert report.forward.yours == pytest.approx(report.forward.config, rel=1e-9)
    assert report.forward.to_dict()["from"] == case.get("loss", "backward")


def test_the_finite_differences_call_your_loss_once_per_element_and_step() -> None:
    functions, calls = _counted(user_code())
    report = check(config(loss="loss"), impl=functions)
    assert report.passed, report.diagnosis
    # The value at θ once, then central differences: two calls per element of ∇W and ∇b.
    assert calls[0] == 1 + 2 * _PARAMETERS


def test_your_loss_is_what_the_gradients_are_checked_against() -> None:
    # backward is right for the config's loss; yours is half of it: every ∇W and ∇b is 2 × the
    # finite differences of your loss (they differentiate yours, not the config's).
    report = check(config(loss="loss"), impl=user_code(bug="half_loss"))
    assert not report.passed
    assert all(c.factor == pytest.approx(2.0, rel=1e-3) for c in report.checked)


def test_a_forward_mismatch_is_reported_first_with_the_issue_sentence() -> None:
    report = check(config(loss="loss"), impl=user_code(bug="half_loss"))
    assert report.first_failure is not None
    assert report.first_failure.to_dict() == {
        "layer": None,
        "quantity": "forward",
        "equation": None,
    }
    assert report.forward is not None
    yours, theirs = report.forward.yours, report.forward.config
    assert yours == pytest.approx(theirs / 2)
    assert report.diagnosis.startswith(
        f"The forward row fails: your loss {yours:.6g} ≠ the config's {theirs:.6g}: your "
        "forward pass or loss differs from the network the config describes."
    )
    assert "Your loss is ½ × the config's: declare the loss your code computes (half_sse" in (
        report.diagnosis
    )


@pytest.mark.parametrize(
    ("case", "code", "hint"),
    [
        ({"loss": "loss"}, {"reduce": "sum"}, "Your loss is B × the config's (B = 5): it sums "
                                              "over the batch; declare reduce: sum, or your "
                                              "config does not match your code."),
        ({"loss": "loss", "reduce": "sum"}, {}, "Your loss is 1/B × the config's (B = 5): it "
                                                "averages over the batch; declare reduce: mean"),
        ({"loss": "loss"}, {"regularization": {"l2": 0.1}}, "If the difference is an L2 term, it "
         "is 0.1 · Σ‖W‖²: declare regularization: {l2: 0.1} (or {half_l2: 0.2})"),
        ({"loss": "loss", "regularization": {"l2": 0.1}}, {"bug": "loss_no_penalty"},
         "The difference is the declared penalty (l2: 0.1): your loss has no L2 term"),
        ({"loss": "loss", "regularization": {"l2": 0.1}}, {"regularization": {"l2": 0.3}},
         "yours is 0.3 · Σ‖W‖² where the config declares l2: 0.1"),
    ],
)  # fmt: skip
def test_the_forward_hint_names_the_key_that_explains_the_difference(
    case: dict[str, Any], code: dict[str, Any], hint: str
) -> None:
    report = check(config(**case), impl=user_code(**code))
    assert report.forward is not None
    assert not report.forward.passed
    assert hint in (report.forward.hint or "")
    assert report.first_failure is not None
    assert report.first_failure.quantity == "forward"


def test_half_sse_code_under_mse_is_named_by_the_loss() -> None:
    # Nielsen's ½Σ(y − a)² checked against the config's mse, (1/n)Σ(y − a)², with n = 3.
    document = config("mse", loss="loss")
    document["layers"][1]["units"] = 3
    report = check(document, impl=user_code(cost="half_sse"))
    assert report.forward is not None
    assert report.forward.yours == pytest.approx(1.5 * report.forward.config)
    assert (report.forward.hint or "").startswith(
        "Your loss is n/2 × the config's (n = 3 outputs): it is ½ Σ(y − a)² where mse is "
        "(1/n) Σ(y − a)²; declare loss: half_sse, or your config does not match your code."
    )
    document["loss"] = "half_sse"
    assert check(document, impl=user_code(cost="half_sse")).passed


def test_phi_is_not_checked_while_your_loss_differs_from_the_network() -> None:
    case = {"loss": "loss", "returns": ["dW", "db", "phi"]}
    keys = {"returns": ["dW", "db", "phi"]}
    report = check(config(**case), impl=user_code(bug="half_loss", **keys))
    phis = [c for c in report.checks if c.quantity == "phi"]
    assert [c.skipped for c in phis] == [True, True]
    assert all("your loss differs from the config's network" in c.note for c in phis)
    assert all(c.to_dict()["passed"] is None for c in phis)


def test_a_loss_returned_by_backward_is_compared_but_the_differences_stay_ours() -> None:
    functions, calls = _counted(user_code(returns=["loss", "dW", "db"], bug="half_loss"))
    report = check(config(returns=["loss", "dW", "db"]), impl=functions)
    assert calls[0] == 0
    assert report.forward is not None
    assert not report.forward.passed
    assert report.first_failure is not None
    assert report.first_failure.quantity == "forward"
    # The gradients are right for the config's network, and the rows say so.
    assert all(c.passed for c in report.checked)


def test_a_check_that_would_call_your_loss_too_often_is_refused_before_it_runs() -> None:
    document = config(loss="loss")
    document["input_size"] = 120
    document["layers"][0]["units"] = 90  # 10,800 elements of W¹: 21,600 calls
    functions, calls = _counted(user_code())

    def any_input(weights, biases, x, y):  # impl_networks' loss takes any input size
        return functions["loss"](weights, biases, x, y)

    with pytest.raises(ConfigError) as raised:
        check(document, impl={"backward": functions["backward"], "loss": any_input})
    message = str(raised.value)
    assert raised.value.key == "impl.loss"
    assert "more than the 20,000 allowed" in message
    assert "--sample K" in message
    assert calls[0] == 1  # your loss at θ, and nothing more
    sampled = check(document, impl={"backward": functions["backward"], "loss": any_input}, sample=5)
    assert sampled.passed, sampled.diagnosis


def test_the_complex_step_is_refused_with_your_loss() -> None:
    with pytest.raises(ConfigError) as raised:
        check(config(loss="loss"), impl=user_code(), method="complex-step")
    assert raised.value.key == "impl.loss"
    assert "choose another method" in str(raised.value)


def test_a_loss_that_returns_no_number_is_a_clear_error() -> None:
    functions = {**user_code(), "loss": lambda w, b, x, y: [1.0, 2.0]}
    with pytest.raises(BackpropCheckError) as raised:
        check(config(loss="loss"), impl=functions)
    assert "loss returned list where a number (your loss) was expected" in str(raised.value)


def test_the_per_sample_loss_is_combined_by_the_reduction() -> None:
    code = user_code()
    values: list[float] = []

    def loss(weights, biases, x, y):
        value = code["loss"](weights, biases, x, y)
        values.append(value)
        return value

    report = check(config(loss="loss", per_sample=True), impl={**code, "loss": loss})
    assert report.passed, report.diagnosis
    assert report.forward is not None
    assert report.forward.yours == pytest.approx(float(np.mean(values[:BATCH])))
