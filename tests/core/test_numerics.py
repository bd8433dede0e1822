"""Sigmoid and binary cross-entropy stay finite and exact where the seed's listing 2 breaks."""

import math
import warnings

import numpy as np
import pytest

from chainrule.core import MLP, LogisticRegression, binary_cross_entropy, fit, sigmoid
from chainrule.core.losses import softplus

EXTREME = np.array([-1e4, -1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0, 1e4])


@pytest.fixture(autouse=True)
def strict_floats():
    """Every NumPy floating-point event and every warning is an error in these tests."""
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_reaches_exact_limits_without_overflow(dtype):
    s = sigmoid(EXTREME.astype(dtype))
    assert s.dtype == dtype
    assert s[0] == 0.0 and s[1] == 0.0  # σ(−1e4), σ(−1000)
    assert s[-1] == 1.0 and s[-2] == 1.0  # σ(1e4), σ(1000)
    assert s[4] == 0.5
    assert np.all((s >= 0) & (s <= 1))


def test_sigmoid_keeps_relative_precision_in_both_tails():
    for z in [-700.0, -40.0, -5.0, -0.1, 0.1, 5.0, 30.0]:
        exact = 1.0 / (1.0 + math.exp(-z)) if z > -700 else math.exp(z)
        assert sigmoid(np.array(z)) == pytest.approx(exact, rel=1e-15)
    # the small tail, where 1/(1 + e^{-z}) loses nothing but naive code overflows
    assert sigmoid(np.array(-40.0)) == pytest.approx(math.exp(-40.0) / (1 + math.exp(-40.0)), rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_is_exact_at_saturated_logits(dtype):
    z = np.array([1e4, -1e4, 1e4, -1e4], dtype=dtype)
    assert binary_cross_entropy([1, 0, 0, 1], z) == 5e3  # two right (loss 0), two wrong (loss 1e4)
    assert binary_cross_entropy([1, 0], z[:2]) == 0.0
    assert binary_cross_entropy([0], z[:1]) == 1e4
    assert binary_cross_entropy([1], z[1:2]) == 1e4


def test_cross_entropy_is_finite_for_any_logit_where_the_clipped_form_is_not_exact():
    # the seed's listing 2 caps each example's loss at -log(1e-15) ≈ 34.5
    assert binary_cross_entropy([1], [-100.0]) == pytest.approx(100.0, rel=1e-15)
    assert binary_cross_entropy([0], [100.0]) == pytest.approx(100.0, rel=1e-15)


def test_cross_entropy_of_examples_all_right_by_about_709_is_their_tiny_mean_without_underflow():
    # each loss is subnormal (about e^-709); their mean too, and no floating-point flag is raised
    # (a case hypothesis found: the mean's division raised 'underflow')
    loss = binary_cross_entropy([0, 0], np.array([-709.0, -710.0]))
    assert loss == pytest.approx((math.exp(-709.0) + math.exp(-710.0)) / 2, rel=1e-12)


def test_cross_entropy_matches_the_probability_form_where_that_is_well_conditioned():
    rng = np.random.default_rng(0)
    z = rng.uniform(-10, 10, 1000)
    y = rng.integers(0, 2, 1000)
    p = 1 / (1 + np.exp(-z))
    reference = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert binary_cross_entropy(y, z) == pytest.approx(reference, rel=1e-12)


def test_softplus_matches_logaddexp_to_the_last_bits():
    m = np.linspace(-800, 800, 100_001)
    ours = softplus(m)
    with np.errstate(under="ignore"):
        np.testing.assert_allclose(ours, np.logaddexp(0, m), rtol=4e-16, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_models_give_finite_losses_and_gradients_at_saturated_logits(dtype):
    X = np.array([[1.0], [-1.0]])
    y = np.array([1, 1])  # the second example is predicted wrong with logit -1e4
    model = LogisticRegression(1, dtype=dtype)
    model.params["w"][...] = 1e4
    assert model.loss(X, y) == pytest.approx(5e3)
    grads = model.gradients(X, y)
    assert grads["w"] == pytest.approx(0.5) and grads["b"] == pytest.approx(-0.5)
    np.testing.assert_array_equal(model.predict_proba(X), [1.0, 0.0])


def test_training_with_a_huge_step_stops_as_diverged_without_a_warning():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2)) * 1e150
    y = (X[:, 0] > 0).astype(int)
    history = fit(MLP(2, 4, "relu", init="he"), X, y, lr=1e300, iterations=50)
    assert history.diverged
    assert np.isfinite(history.loss).all()
