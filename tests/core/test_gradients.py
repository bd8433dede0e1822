"""Backpropagation against central differences, for every model, activation, shape and dtype."""

import numpy as np
import pytest

from chainrule.core import ACTIVATIONS, MLP, LogisticRegression, numerical_gradients, relative_error

SHAPES = [(1, 1, 1), (7, 2, 2), (30, 3, 5), (64, 10, 16)]  # (n_samples, n_features, hidden_width)


def make_data(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X.sum(axis=1) + rng.standard_normal(n) > 0).astype(int)
    return X, y


def max_relative_error(analytic, numerical):
    return max(float(relative_error(analytic[k], numerical[k]).max()) for k in analytic)


def far_from_kinks(model, X, eps):
    """True when no pre-activation lies within a perturbation's reach of ReLU's kink at 0."""
    A = X @ model.params["W1"].T + model.params["b1"]
    return np.abs(A).min() > 10 * eps * (1 + np.abs(X).max())


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("n, d, h", SHAPES)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_mlp_gradients_match_central_differences_in_float64(activation, n, d, h, l2):
    X, y = make_data(n, d, seed=n + d + h)
    for seed in range(20):  # a draw whose pre-activations are clear of ReLU's kink
        model = MLP(d, h, activation, init="xavier", seed=seed)
        if far_from_kinks(model, X, 1e-5):
            break
    error = max_relative_error(model.gradients(X, y, l2=l2), numerical_gradients(model, X, y, l2=l2))
    assert error < 1e-6


@pytest.mark.parametrize("n, d", [(1, 1), (9, 2), (50, 8)])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_logistic_gradients_match_central_differences_in_float64(n, d, l2):
    X, y = make_data(n, d, seed=n * d)
    model = LogisticRegression(d, init="xavier", seed=1)
    error = max_relative_error(model.gradients(X, y, l2=l2), numerical_gradients(model, X, y, l2=l2))
    assert error < 1e-6


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("n, d, h", SHAPES[1:])
def test_float32_gradients_match_float64_central_differences(activation, n, d, h):
    # A float32 difference quotient is dominated by rounding; compare the float32
    # backpropagation with the float64 central differences at the same weights instead.
    X, y = make_data(n, d, seed=n + d + h)
    for seed in range(20):
        model64 = MLP(d, h, activation, init="xavier", seed=seed)
        if far_from_kinks(model64, X, 1e-3):
            break
    assert_float32_backprop_tracks_float64(MLP(d, h, activation, init="xavier", seed=seed, dtype=np.float32), model64, X, y)


def assert_float32_backprop_tracks_float64(model32, model64, X, y):
    """The float32 model's gradients against central differences of the float64 one (same weights)."""
    analytic = model32.gradients(X, y)
    assert all(g.dtype == np.float32 for g in analytic.values())
    numerical = numerical_gradients(model64, X, y)
    scale = max(float(np.abs(g).max()) for g in numerical.values())
    for name in analytic:
        np.testing.assert_allclose(analytic[name], numerical[name], rtol=1e-4, atol=1e-5 * scale)


def test_float32_central_differences_need_a_larger_step_but_agree_loosely():
    X, y = make_data(40, 3, seed=3)
    model = MLP(3, 4, "tanh", init="xavier", seed=0, dtype=np.float32)
    numerical = numerical_gradients(model, X, y, eps=1e-2)
    analytic = model.gradients(X, y)
    for name in analytic:
        np.testing.assert_allclose(analytic[name], numerical[name], rtol=2e-2, atol=2e-4)


def test_numerical_gradients_restore_every_parameter():
    X, y = make_data(10, 2, seed=0)
    model = MLP(2, 3, "relu", init="he", seed=0)
    before = {k: v.copy() for k, v in model.params.items()}
    numerical_gradients(model, X, y)
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, before[name])
