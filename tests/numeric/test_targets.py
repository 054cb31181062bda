"""Targets: which equation produces each perturbed quantity's analytic value."""

from __future__ import annotations

from backprop_check.numeric.targets import QUANTITIES, Target


def test_phi_is_eq1_at_the_output_and_eq2_below_it() -> None:
    assert Target(3, "phi").equation(3) == 1
    assert Target(2, "phi").equation(3) == 2
    assert Target(1, "phi").equation(1) == 1


def test_weights_and_biases_are_eq3_and_eq4_at_every_layer() -> None:
    assert {Target(j, "W").equation(3) for j in (1, 2, 3)} == {3}
    assert {Target(j, "b").equation(3) for j in (1, 2, 3)} == {4}
    assert set(QUANTITIES) == {"phi", "W", "b"}
