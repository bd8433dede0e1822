"""GradientFlow: each block's gradient norm and update ratio per iteration, read without changing training."""

import numpy as np
import pytest

from chainrule.core import MLP, GradientFlow, fit


def data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("optimizer, batch_size", [("gd", None), ("adam", 32), ("nesterov", None)])
def test_recording_the_flow_changes_no_bit_of_training(optimizer, batch_size):
    X, y = data()
    runs = []
    for flow in (None, GradientFlow()):
        model = MLP(2, activation="tanh", seed=3, hidden_widths=(8, 4), n_classes=2)
        history = fit(model, X, y, 0.05, 30, batch_size, optimizer=optimizer, shuffle=True, l2=0.01, gradient_flow=flow)
        runs.append((history.loss, {k: v.copy() for k, v in model.params.items()}))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    for name in runs[0][1]:
        np.testing.assert_array_equal(runs[0][1][name], runs[1][1][name])


def test_full_batch_norms_are_the_gradients_and_ratios_the_steps_of_plain_descent():
    X, y = data()
    model = MLP(2, 4, "relu", seed=1)
    start = {k: v.copy() for k, v in model.params.items()}
    expected = model.gradients(X, y)
    flow = GradientFlow()
    fit(model, X, y, 0.1, 1, gradient_flow=flow)
    for name, g in expected.items():
        assert flow.grad_norm[name][0] == pytest.approx(np.linalg.norm(g), rel=1e-12)
        step, size = np.linalg.norm(model.params[name] - start[name]), np.linalg.norm(start[name])
        assert flow.update_ratio[name][0] == (pytest.approx(step / size, rel=1e-12) if size else np.inf)  # biases start at 0
        assert step == pytest.approx(0.1 * np.linalg.norm(g), rel=1e-12)  # eq. 20: Δθ = −η ∇L


def test_a_deep_sigmoid_network_shows_vanishing_gradients_in_its_first_layer_and_relu_does_not():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    ratios = {}
    for activation in ("sigmoid", "relu"):
        model = MLP(2, activation=activation, init="xavier", seed=0, hidden_widths=(16, 16, 16, 16))
        flow = GradientFlow()
        fit(model, X, y, 0.01, 30, gradient_flow=flow)
        ratios[activation] = flow.grad_norm["w"][-1] / flow.grad_norm["W1"][-1]  # last layer over first
        assert set(flow.grad_norm) == set(model.params) and len(flow.update_ratio["W1"]) == 30
    assert ratios["sigmoid"] >= 10 > ratios["relu"]  # four σ' ≤ 1/4 factors on the way down (eq. 69)
