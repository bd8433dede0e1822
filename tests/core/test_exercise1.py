"""The seed's Exercise 1 (§7.1), worked by hand, reproduced by the core to 1e-6."""

import numpy as np
import pytest

from chainrule.core import MLP, numerical_gradients

X = np.array([[1.0, 2.0]])
Y = np.array([1])


@pytest.fixture
def seed_network():
    model = MLP(n_features=2, hidden_width=2, activation="relu")
    model.params["W1"][...] = [[0.5, 0.3], [0.2, 0.4]]
    model.params["b1"][...] = [0.1, 0.2]
    model.params["w"][...] = [0.6, 0.7]
    model.params["b"][...] = 0.3
    return model


def test_forward_pass_matches_the_hand_computation(seed_network):
    # a1 = W1 x + b1 = [0.5 + 0.6 + 0.1, 0.2 + 0.8 + 0.2] = [1.2, 1.2]; h1 = relu(a1) = a1
    # z = 0.6·1.2 + 0.7·1.2 + 0.3 = 1.86
    assert seed_network.decision_function(X) == pytest.approx([1.86], abs=1e-12)
    assert seed_network.predict_proba(X) == pytest.approx([0.8652969], abs=1e-6)


def test_backpropagation_matches_the_hand_derived_gradients(seed_network):
    grads = seed_network.gradients(X, Y)
    np.testing.assert_allclose(grads["b"], -0.1347031, atol=1e-6)  # eq. 66: ŷ − y
    np.testing.assert_allclose(grads["w"], [-0.1616437, -0.1616437], atol=1e-6)  # eq. 67
    np.testing.assert_allclose(grads["b1"], [-0.0808218, -0.0942921], atol=1e-6)  # eq. 70
    np.testing.assert_allclose(
        grads["W1"], [[-0.0808218, -0.1616437], [-0.0942921, -0.1885843]], atol=1e-6
    )  # eq. 71


def test_backpropagation_agrees_with_central_differences(seed_network):
    analytic = seed_network.gradients(X, Y)
    numerical = numerical_gradients(seed_network, X, Y)
    for name in analytic:
        np.testing.assert_allclose(analytic[name], numerical[name], rtol=1e-8, atol=1e-10)


def test_the_seed_network_has_nine_parameters(seed_network):
    assert seed_network.n_params == 9
    assert {name: p.shape for name, p in seed_network.params.items()} == {
        "W1": (2, 2),
        "b1": (2,),
        "w": (2,),
        "b": (),
    }
