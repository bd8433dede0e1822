"""The activation table of Appendix B: each function beside its derivative, selected by name."""

import numpy as np
import pytest

from chainrule.core import ACTIVATIONS, get_activation

A = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])


def test_the_table_holds_the_four_activations_of_appendix_b():
    assert sorted(ACTIVATIONS) == ["leaky_relu", "relu", "sigmoid", "tanh"]


@pytest.mark.parametrize(
    "name, forward, derivative",
    [
        ("relu", np.maximum(A, 0), (A > 0).astype(float)),  # eqs. 25 and 46
        ("leaky_relu", np.where(A > 0, A, 0.01 * A), np.where(A > 0, 1.0, 0.01)),
        ("tanh", np.tanh(A), 1 - np.tanh(A) ** 2),
        ("sigmoid", 1 / (1 + np.exp(-A)), np.exp(-A) / (1 + np.exp(-A)) ** 2),  # eqs. 3 and 6
    ],
)
def test_each_activation_and_its_derivative_follow_appendix_b(name, forward, derivative):
    activation = get_activation(name)
    np.testing.assert_allclose(activation(A), forward, rtol=1e-15, atol=1e-17)
    np.testing.assert_allclose(activation.derivative(A), derivative, rtol=1e-14, atol=1e-17)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_piecewise_slopes_are_exact(dtype):
    a = np.array([-2.0, 0.0, 2.0], dtype=dtype)
    np.testing.assert_array_equal(get_activation("relu").derivative(a), [0, 0, 1])  # g'(0) = 0, eq. 46
    leaky = get_activation("leaky_relu").derivative(a)
    assert leaky.dtype == dtype
    np.testing.assert_array_equal(leaky, np.array([0.01, 0.01, 1.0], dtype=dtype))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_keep_the_dtype_and_do_not_modify_their_input(name, dtype):
    a = A.astype(dtype)
    before = a.copy()
    assert get_activation(name)(a).dtype == dtype
    assert get_activation(name).derivative(a).dtype == dtype
    np.testing.assert_array_equal(a, before)


def test_integer_input_is_promoted_to_float():
    assert get_activation("relu")([-1, 2]).tolist() == [0.0, 2.0]


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown activation 'softmax'; valid activations: leaky_relu, relu, sigmoid, tanh"):
        get_activation("softmax")
