"""φ^J of every (output activation, loss) pairing at saturated logits, against independent formulas.

Up to |z| = 700 in float64 and 80 in float32 the built-in φ^J must be finite and as accurate as
the numbers it combines allow: each element within a few units of round-off of the sum of the
magnitudes of its terms (so a term that cancels another may take its rounding along, but no digit
is lost to an output rounded to 0 or 1). The references below are derived here, pairwise and in
log space (a_i a_j = e^{z_i + z_j − 2 LSE(z)}, 1 − a_j = e^{LSE(z_{−j}) − LSE(z)}), not from the
package's formulas; at moderate z autograd of the naive loss checks the references themselves.
"""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from backprop_check.core.activations import ACTIVATIONS, get_activation
from backprop_check.core.backprop import backward, output_phi, phi_output_softmax
from backprop_check.core.losses import LOSSES, NetworkOutput, get_loss
from backprop_check.core.network import Network, Trace

PAIRINGS = [
    (activation, loss)
    for activation in sorted(ACTIVATIONS)
    for loss in sorted(LOSSES)
    if ACTIVATIONS[activation].probabilities or not LOSSES[loss].needs_probabilities
]
# Largest |z| per dtype: e^{|z|} (a reciprocal of a saturated output) is still finite there.
Z_LIMITS = {np.float64: 700.0, np.float32: 80.0}
# Allowed error, in units of round-off of the sum of the magnitudes of an element's terms.
ROUNDINGS = 64
UNITS = 4


def _log_sum(z: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M, S) with LSE(z over the kept units) = M + S: M their largest z, S = log Σ e^{z − M}.

    Kept apart, M − M' and z − M are differences of inputs, exact or rounded once, where the
    sum M + S near 700 would already carry a rounding of 700 u into every later difference.
    """
    kept = np.where(keep, z, -np.inf)
    top = np.max(kept, axis=-1, keepdims=True)
    return top, np.log(np.sum(np.exp(kept - top), axis=-1, keepdims=True))


def _softmax_parts(z: np.ndarray):
    """a_j, 1 − a_j and, for i ≠ j, a_j a_i / (1 − a_i) as [..., j, i], as products of
    exponentials of single differences of inputs (exp of a sum of rounded logs near −700 would
    multiply their rounding by 700)."""
    units = z.shape[-1]
    top, spread = _log_sum(z, np.ones(units, dtype=bool))
    rest = [_log_sum(z, np.arange(units) != i) for i in range(units)]
    rest_top = np.concatenate([m for m, _ in rest], axis=-1)  # M_{−i}
    rest_spread = np.concatenate([s for _, s in rest], axis=-1)  # S_{−i}
    a = np.exp(z - top) * np.exp(-spread)
    complement = np.exp(rest_top - top) * np.exp(rest_spread - spread)
    # a_j a_i / (1 − a_i) = e^{z_j − LSE(z_{−i})} a_i, and z_j ≤ M_{−i} for i ≠ j.
    off = ~np.eye(units, dtype=bool)
    gap = np.where(off, z[..., :, None] - rest_top[..., None, :], -np.inf)
    odds = np.exp(gap) * np.exp(-rest_spread[..., None, :]) * a[..., None, :]
    return a, complement, odds


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))  # e^{700} is finite: no split needed up to the limits here


def _mse_terms(a: np.ndarray, y: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """∇_a L of the squared-error losses (mse: (2/n)(a − y); half_sse: a − y), and its size."""
    scale = 1.0 if loss == "half_sse" else 2.0 / a.shape[-1]
    return scale * (a - y), scale * (np.abs(a) + np.abs(y))


def _reference(activation: str, loss: str, z: np.ndarray, y: np.ndarray):
    """(φ^J, the sum of the magnitudes of its terms), per element, in float64."""
    if activation == "softmax":
        return _softmax_reference(loss, z, y)
    if loss == "binary_crossentropy":  # sigmoid: φ = (1 − y) σ(z) − y σ(−z)
        up, down = _sigmoid(z), _sigmoid(-z)
        return (1 - y) * up - y * down, np.abs(1 - y) * up + np.abs(y) * down
    if loss == "categorical_crossentropy":  # sigmoid: φ = −y σ(−z)
        return -y * _sigmoid(-z), np.abs(y) * _sigmoid(-z)
    values = {
        "relu": np.maximum(z, 0.0),
        "sigmoid": _sigmoid(z),
        "tanh": np.tanh(z),
        "linear": z,
    }[activation]
    slope = {
        "relu": (z > 0).astype(float),
        "sigmoid": (0.5 / np.cosh(z / 2)) ** 2,
        "tanh": (1.0 / np.cosh(z)) ** 2,
        "linear": np.ones_like(z),
    }[activation]
    g, g_size = _mse_terms(values, y, loss)
    return g * slope, g_size * slope


def _softmax_reference(loss: str, z: np.ndarray, y: np.ndarray):
    """Eq. 1 through the softmax Jacobian, pairwise: φ_j = Σ_{i≠j} a_j a_i (g_j − g_i)."""
    a, complement, odds = _softmax_parts(z)
    off = ~np.eye(z.shape[-1], dtype=bool)
    if loss in ("mse", "half_sse"):
        pair = a[..., :, None] * a[..., None, :]  # a_j a_i
        g, g_size = _mse_terms(a, y, loss)
        differences = g[..., :, None] - g[..., None, :]
        sizes = g_size[..., :, None] + g_size[..., None, :]
        return np.sum(off * pair * differences, axis=-1), np.sum(off * pair * sizes, axis=-1)
    if loss == "categorical_crossentropy":  # φ_j = a_j Σ_{k≠j} y_k − y_j (1 − a_j)
        others = np.sum(y, axis=-1, keepdims=True) - y
        return a * others - y * complement, a * np.abs(others) + np.abs(y) * complement
    # Binary cross-entropy, u_i = a_i ∂L/∂a_i = −y_i + (1 − y_i) a_i/(1 − a_i):
    # φ_j = u_j (1 − a_j) − a_j Σ_{i≠j} u_i = −y_j (1 − a_j) + (1 − y_j) a_j
    #       + Σ_{i≠j} [y_i a_j − (1 − y_i) a_j a_i/(1 − a_i)]
    label = y[..., None, :]
    cross = off * (label * a[..., :, None] - (1 - label) * odds)
    sizes = off * (np.abs(label) * a[..., :, None] + np.abs(1 - label) * odds)
    own = -y * complement + (1 - y) * a
    own_size = np.abs(y) * complement + np.abs(1 - y) * a
    return own + np.sum(cross, axis=-1), own_size + np.sum(sizes, axis=-1)


def _logits(rng: np.random.Generator, limit: float) -> np.ndarray:
    """Rows at both ends, across the whole range, with ties at the top, and near saturation."""
    rows = [
        [limit, -limit, 0.0, 1.0],
        [-limit, -limit, -limit + 1.0, limit],
        [limit, limit, -limit, 0.5],  # a tie for the top unit
        [limit, limit - 1.0, limit - 2.0, limit - 40.0],
        [-limit, -limit + 30.0, -limit + 0.5, -limit],
        [40.0, 0.0, -3.0, 2.0],
        [limit / 2, -limit / 2, limit / 3, -limit / 7],
    ]
    rows += list(rng.uniform(-limit, limit, (12, UNITS)))
    rows += list(rng.standard_normal((4, UNITS)) * 30.0)
    return np.array(rows)


def _labels(loss: str, rng: np.random.Generator, count: int) -> np.ndarray:
    if loss == "categorical_crossentropy":
        y = np.eye(UNITS)[rng.integers(0, UNITS, count)]
        y[-1] = [0.25, 0.5, 0.0, 0.25]  # a distribution, not one-hot
        return y
    if loss == "binary_crossentropy":
        y = rng.integers(0, 2, (count, UNITS)).astype(float)
        y[-1] = [0.3, 1.0, 0.0, 0.9]  # soft labels
        return y
    # Targets at the ends of sigmoid's and tanh's range, where y − a cancels, and anywhere.
    y = rng.choice([-1.0, 0.0, 1.0], (count, UNITS))
    y[: count // 2] = rng.standard_normal((count // 2, UNITS)) * 2
    return y


def _phi(activation: str, loss: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The built-in φ^J for a network whose output layer is this pairing."""
    return output_phi(_network(activation, loss, z), z, get_activation(activation).value(z), y)


def _network(activation: str, loss: str, z: np.ndarray) -> Network:
    """One layer of this pairing, as wide as z (its weights matter to no φ^J)."""
    width = z.shape[-1]
    return Network(
        weights=(np.zeros((width, 1), dtype=z.dtype),),
        biases=(np.zeros(width, dtype=z.dtype),),
        activation_fns=(get_activation(activation),),
        loss=get_loss(loss),
    )


def _excess(phi: np.ndarray, reference: np.ndarray, size: np.ndarray, dtype) -> float:
    """The largest error in units of the allowed error (> 1 fails); NaN and ∞ fail outright."""
    if not np.all(np.isfinite(phi)):
        return np.inf
    info = np.finfo(dtype)
    allowed = ROUNDINGS * float(info.eps) * size + ROUNDINGS * float(info.tiny)
    return float(np.max(np.abs(phi.astype(np.float64) - reference) / allowed))


def _case(activation, loss, dtype, rng):
    z = _logits(rng, Z_LIMITS[dtype]).astype(dtype)
    y = _labels(loss, rng, z.shape[0]).astype(dtype)
    # The reference works in float64 from exactly the same (rounded) z and y.
    reference, size = _reference(activation, loss, z.astype(np.float64), y.astype(np.float64))
    if activation == "softmax":
        # e^{z − max z} rounds z − max z once in the dtype, and exp multiplies that rounding by
        # |z − max z|: every evaluation of softmax from these z carries it.
        size = size * (1.0 + np.ptp(z.astype(np.float64), axis=-1, keepdims=True) / 2)
    return z, y, reference, size


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("activation", "loss"), PAIRINGS)
def test_output_phi_is_accurate_at_saturation(activation, loss, dtype, rng) -> None:
    z, y, reference, size = _case(activation, loss, dtype, rng)
    phi = _phi(activation, loss, z, y)
    assert phi.dtype == dtype
    assert _excess(phi, reference, size, dtype) <= 1.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("activation", "loss"), PAIRINGS)
def test_the_built_in_backward_takes_that_phi_at_saturation(activation, loss, dtype, rng) -> None:
    # Issue 11 (i): backward() took the general Eq. 1 for softmax + BCE, off by up to 100 % and
    # NaN in float32, while output_phi had the closed form from the logits.
    z, y, reference, size = _case(activation, loss, dtype, rng)
    act = get_activation(activation)
    network = _network(activation, loss, z)
    trace = Trace(zs=(z,), activations=(np.zeros((z.shape[0], 1), dtype=z.dtype), act.value(z)))
    assert _excess(backward(network, trace, y).phis[-1], reference, size, dtype) <= 1.0


@pytest.mark.parametrize(("activation", "loss"), PAIRINGS)
def test_references_agree_with_autograd_of_the_naive_loss(activation, loss, rng) -> None:
    """Where the naive loss keeps its digits (|z| ≤ 4), autograd of it is the reference's check."""
    z = rng.uniform(-4, 4, (16, UNITS))
    y = _labels(loss, rng, z.shape[0])

    def total(logits):
        if activation == "softmax":
            e = anp.exp(logits - anp.max(logits, axis=1, keepdims=True))
            a = e / anp.sum(e, axis=1, keepdims=True)
        else:
            a = {
                "relu": lambda v: v * (v > 0),
                "sigmoid": lambda v: 1 / (1 + anp.exp(-v)),
                "tanh": anp.tanh,
                "linear": lambda v: v,
            }[activation](logits)
        if loss == "mse":
            return anp.sum(anp.mean((y - a) ** 2, axis=1))
        if loss == "half_sse":
            return anp.sum(0.5 * (y - a) ** 2)
        if loss == "binary_crossentropy":
            return anp.sum(-y * anp.log(a) - (1 - y) * anp.log(1 - a))
        return anp.sum(-y * anp.log(a))

    reference, _ = _reference(activation, loss, z, y)
    np.testing.assert_allclose(reference, autograd.grad(total)(z), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_phi(activation, loss, z, y), reference, rtol=1e-12, atol=1e-15)


def _naive_phi(activation: str, loss: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The general Eq. 1 as written, ∇_a L from 1/a and σ' = σ(1 − σ): what saturation breaks."""
    act = get_activation(activation)
    a = act.value(z)
    with np.errstate(all="ignore"):
        g = get_loss(loss).gradient_at(NetworkOutput(z, a, act), y)
        if act.derivative is None:
            return a * (g - np.sum(a * g, axis=-1, keepdims=True))
        return g * (a * (1 - a))


@pytest.mark.parametrize(
    ("activation", "loss", "dtype"),
    [
        ("softmax", "binary_crossentropy", np.float64),
        ("softmax", "binary_crossentropy", np.float32),
        ("sigmoid", "categorical_crossentropy", np.float32),
        ("sigmoid", "binary_crossentropy", np.float64),
    ],
)
def test_the_naive_general_eq1_fails_this_check(activation, loss, dtype, rng) -> None:
    """The check above has teeth: the formulas these pairings used before fail it."""
    z, y, reference, size = _case(activation, loss, dtype, rng)
    assert _excess(_naive_phi(activation, loss, z, y), reference, size, dtype) > 1.0


def test_softmax_bce_was_off_by_most_of_its_value_when_saturated() -> None:
    """The reported case: a correct softmax + BCE output whose general Eq. 1 lost 93 %."""
    z = np.array([[40.0, -13.0, -4.0], [38.0, 37.0, -5.0]])
    y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    reference, _ = _reference("softmax", "binary_crossentropy", z, y)
    naive = _naive_phi("softmax", "binary_crossentropy", z, y)
    assert np.max(np.abs(naive - reference) / np.abs(reference)) > 0.5
    np.testing.assert_allclose(_phi("softmax", "binary_crossentropy", z, y), reference, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_derivatives_keep_their_digits_in_the_tails(name, dtype) -> None:
    """σ' and tanh' are relatively accurate out to the limits, not rounded to 0 past |z| ≈ 37."""
    limit = Z_LIMITS[dtype]
    z = np.concatenate([np.linspace(-limit, limit, 401), [0.0, 1e-30, -1e-30]]).astype(dtype)
    wide = z.astype(np.float64)
    exact = (0.5 / np.cosh(wide / 2)) ** 2 if name == "sigmoid" else (1 / np.cosh(wide)) ** 2
    derivative = get_activation(name).derivative(z)
    assert derivative.dtype == dtype
    info = np.finfo(dtype)
    representable = exact > info.tiny  # below it float32 has fewer digits (or rounds to 0)
    np.testing.assert_allclose(
        derivative[representable], exact[representable], rtol=16 * float(info.eps)
    )
    assert np.all(np.abs(derivative[~representable] - exact[~representable]) <= info.tiny)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("loss", ["binary_crossentropy", "categorical_crossentropy"])
@pytest.mark.parametrize("activation", ["sigmoid", "softmax"])
def test_loss_gradients_from_logs_have_no_nan_where_a_label_is_zero(
    activation, loss, dtype
) -> None:
    """∇_a L from the output's logs: a label of 0 drops its term even when 1/a overflows."""
    limit = 2 * Z_LIMITS[dtype]  # past the limits: 1/a itself is ∞ in the dtype
    z = np.array([[limit, -limit, 0.0], [-limit, limit, 1.0]], dtype=dtype)
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    act = get_activation(activation)
    with np.errstate(over="raise", invalid="raise"):
        gradient = get_loss(loss).gradient_at(NetworkOutput(z, None, act), y)
    assert not np.any(np.isnan(gradient))
    # Where y = 1 and the output is near 1, ∇_a L is near −1: finite, and correct to round-off.
    assert gradient[0, 0] == pytest.approx(-1.0)
    assert gradient[1, 1] == pytest.approx(-1.0)


def test_the_softmax_jacobian_product_keeps_the_top_units_digits() -> None:
    """a_t (g_t − a·g) for a_t ≈ 1 is measured from g_t: not a difference of near-equal numbers."""
    z = np.array([[25.0, 0.0, -1.0]])
    a = get_activation("softmax").value(z)
    g = np.array([[0.3, -0.2, 0.7]])
    reference = np.array([a[0, 0] * (a[0, 1] * (0.3 + 0.2) + a[0, 2] * (0.3 - 0.7))])
    assert phi_output_softmax(g, a)[0, 0] == pytest.approx(reference[0], rel=1e-13, abs=0)
    # Eq. 1 written as printed keeps only the digits of a·g above the rounding of g_t.
    naive = a * (g - np.sum(a * g, axis=-1, keepdims=True))
    assert naive[0, 0] != pytest.approx(reference[0], rel=1e-6, abs=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_sigmoid_cce_is_finite_where_a_labelled_output_rounds_to_0(dtype) -> None:
    # Issue 11 (i): float32 sigmoid + CCE gave NaN gradients when saturated: σ(z) of a labelled
    # unit rounds to 0, so −y/a is −∞ and −∞ · σ'(z) = −∞ · 0 is NaN (−∞ where σ' is subnormal).
    # From the logits, φ = −y (1 − σ(z)) = −y σ(−z): finite, here −1 per such unit.
    limit = 2 * Z_LIMITS[dtype]  # past the limits: σ(−limit) is exactly 0 in the dtype
    z = np.array([[-limit, limit, 0.5], [1.0, -0.6 * limit, -limit]], dtype=dtype)
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    act = get_activation("sigmoid")
    assert act.value(z)[0, 0] == 0.0
    network = _network("sigmoid", "categorical_crossentropy", z)
    trace = Trace(zs=(z,), activations=(np.zeros((2, 1), dtype=dtype), act.value(z)))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        phi = backward(network, trace, y).phis[-1]
    assert phi.dtype == dtype
    wide = z.astype(np.float64)
    exact = -y * 0.5 * (1.0 - np.tanh(wide / 2))
    assert np.all(np.isfinite(phi))
    np.testing.assert_allclose(phi, exact, rtol=16 * float(np.finfo(dtype).eps), atol=0)
