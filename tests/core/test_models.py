"""The model API of DESIGN.md: seed-named parameters, predictions, losses, gradients, validation."""

import pickle
import re

import numpy as np
import pytest

from chainrule.core import INITIALIZERS, MLP, LogisticRegression, design_matrix


def test_mlp_parameters_are_named_and_shaped_as_in_the_seed():
    model = MLP(n_features=5, hidden_width=3)
    shapes = {name: p.shape for name, p in model.params.items()}
    assert shapes == {"W1": (3, 5), "b1": (3,), "w": (3,), "b": ()}
    assert model.n_params == 3 * 5 + 3 + 3 + 1


def test_logistic_parameters_are_named_and_shaped_as_in_the_seed():
    model = LogisticRegression(n_features=4)
    assert {name: p.shape for name, p in model.params.items()} == {"w": (4,), "b": ()}


def test_writing_into_params_sets_the_weights_the_model_uses():
    model = LogisticRegression(2)
    model.params["w"][...] = [2.0, -1.0]
    model.params["b"][...] = 0.5
    np.testing.assert_allclose(model.decision_function([[1.0, 1.0], [0.0, 0.0]]), [1.5, 0.5])


def test_params_cannot_be_replaced_only_written_into():
    model = MLP(2, 2)
    with pytest.raises(TypeError):
        model.params["W1"] = np.zeros((2, 2))


@pytest.mark.parametrize("init", sorted(INITIALIZERS))
def test_initialisation_is_seeded_and_biases_start_at_zero(init):
    a, b, c = MLP(3, 4, init=init, seed=7), MLP(3, 4, init=init, seed=7), MLP(3, 4, init=init, seed=8)
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    np.testing.assert_array_equal(a.params["w"], b.params["w"])
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    assert not a.params["b1"].any() and a.params["b"] == 0


@pytest.mark.parametrize("model", [MLP(2, 3, "tanh", dtype=np.float32), LogisticRegression(2)], ids=repr)
def test_a_pickled_model_predicts_the_same_and_its_params_still_write_through(model):
    X = np.random.default_rng(0).normal(size=(5, 2))
    copy = pickle.loads(pickle.dumps(model))  # how a model reaches another process
    np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))
    copy.params["b"][...] = 10.0
    assert copy.predict_proba(X).min() > model.predict_proba(X).min()
    assert model.params["b"] != 10.0


def test_initialisation_scales():
    n = 400
    small = MLP(n, n, init="small", seed=0).params["W1"]
    he = MLP(n, n, init="he", seed=0).params["W1"]
    xavier = MLP(n, n, init="xavier", seed=0).params["W1"]
    assert small.std() == pytest.approx(0.01, rel=0.01)  # the seed's randn * 0.01
    assert he.std() == pytest.approx(np.sqrt(2 / n), rel=0.01)
    assert np.abs(xavier).max() <= np.sqrt(6 / (2 * n))
    assert xavier.std() == pytest.approx(np.sqrt(6 / (2 * n)) / np.sqrt(3), rel=0.01)


def test_a_float32_model_starts_from_the_float64_weights_rounded():
    m64, m32 = MLP(3, 4, init="he", seed=1), MLP(3, 4, init="he", seed=1, dtype=np.float32)
    for name in m64.params:
        assert m32.params[name].dtype == np.float32
        np.testing.assert_array_equal(m32.params[name], m64.params[name].astype(np.float32))


def test_predictions_are_probabilities_and_thresholded_labels():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3))
    model = MLP(3, 4, "tanh", init="xavier")
    p = model.predict_proba(X)
    assert p.shape == (20,) and np.all((p > 0) & (p < 1))
    np.testing.assert_array_equal(model.predict(X), (p >= 0.5).astype(int))


def test_loss_is_the_mean_cross_entropy_of_the_predictions():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((30, 2)), rng.integers(0, 2, 30)
    model = MLP(2, 3, init="xavier")
    p = model.predict_proba(X)
    assert model.loss(X, y) == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-13)


def test_l2_adds_half_the_squared_weights_but_not_the_biases():
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    model = MLP(2, 2, init="he")
    model.params["b1"][...] = 5.0
    model.params["b"][...] = 5.0
    squared = (model.params["W1"] ** 2).sum() + (model.params["w"] ** 2).sum()
    assert model.loss(X, y, l2=0.2) - model.loss(X, y) == pytest.approx(0.1 * squared)
    extra = {k: model.gradients(X, y, l2=0.2)[k] - model.gradients(X, y)[k] for k in model.params}
    np.testing.assert_allclose(extra["W1"], 0.2 * model.params["W1"])
    np.testing.assert_allclose(extra["w"], 0.2 * model.params["w"])
    assert not extra["b1"].any() and extra["b"] == 0


def test_gradients_come_back_as_fresh_arrays_shaped_like_params():
    X, y = np.ones((3, 2)), np.array([0, 1, 1])
    model = MLP(2, 2)
    grads = model.gradients(X, y)
    assert {k: v.shape for k, v in grads.items()} == {k: v.shape for k, v in model.params.items()}
    grads["W1"][...] = 99
    assert not (model.gradients(X, y)["W1"] == 99).any()


def test_design_matrix_prepends_a_column_of_ones():
    np.testing.assert_array_equal(design_matrix(np.array([[2.0, 3.0]])), [[1.0, 2.0, 3.0]])  # eq. 17


def test_repr_names_the_hyperparameters():
    assert repr(MLP(2, 3, "tanh", dtype=np.float32)) == (
        "MLP(n_features=2, hidden_width=3, activation='tanh', init='small', seed=0, dtype=float32)"
    )


# -- bad input: what was received, what is expected ----------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hidden_width": 0}, "hidden_width must be an integer >= 1; got 0"),
        ({"hidden_width": 2.5}, "hidden_width must be an integer >= 1; got 2.5 (float)"),
        ({"hidden_width": True}, "hidden_width must be an integer >= 1; got True (bool)"),
        ({"n_features": 0}, "n_features must be an integer >= 1; got 0"),
        ({"activation": "softplus"}, "unknown activation 'softplus'; valid activations: leaky_relu, relu, sigmoid, tanh"),
        ({"init": "zeros"}, "unknown init 'zeros'; valid inits: he, small, xavier"),
        ({"dtype": np.int64}, "dtype must be float32 or float64; got <class 'numpy.int64'>"),
        ({"dtype": "float16"}, "dtype must be float32 or float64; got 'float16'"),
        ({"seed": -1}, "seed must be an integer >= 0; got -1"),
    ],
)
def test_bad_hyperparameters_are_rejected_with_a_clear_message(kwargs, message):
    args = {"n_features": 2, "hidden_width": 2} | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        MLP(**args)


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.ones(3), [0, 1, 0], "X must be 2-D (n_samples, n_features); got shape (3,) (use X.reshape(-1, 1) for a single feature)"),
        (np.ones((2, 2, 2)), [0, 1], "X must be 2-D (n_samples, n_features); got shape (2, 2, 2)"),
        (np.ones((0, 2)), [], "X must have at least one sample; got shape (0, 2)"),
        (np.ones((3, 3)), [0, 1, 0], "X has 3 features but the model expects n_features=2"),
        (np.array([["a", "b"]]), [0], "X must be a numeric array; got dtype <U1"),
        (np.array([[1.0, 2.0], [np.nan, 1.0]]), [0, 1], "X contains NaN or infinity (first at row 1, column 0)"),
        (np.array([[1.0, np.inf]]), [0], "X contains NaN or infinity (first at row 0, column 1)"),
        (np.ones((3, 2)), [0, 1], "X has 3 samples but y has 2; lengths must match"),
        (np.ones((3, 2)), [[0], [1], [0]], "y must be 1-D (n_samples,); got shape (3, 1)"),
        (np.ones((3, 2)), [0, 1, 2], "y must contain only 0 and 1; got values such as [2]"),
        (np.ones((3, 2)), [0.5, 1, -1], "y must contain only 0 and 1; got values such as [-1.0, 0.5]"),
        (np.ones((3, 2)), ["a", "b", "a"], "y must be a numeric array of 0 and 1; got dtype <U1"),
    ],
)
def test_bad_arrays_are_rejected_with_a_clear_message(X, y, message):
    model = MLP(2, 2)
    with pytest.raises(ValueError, match=re.escape(message)):
        model.loss(X, y)


def test_predicting_checks_the_input_too():
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(first at row 0, column 0\)"):
        LogisticRegression(1).predict_proba([[np.nan]])


def test_boolean_labels_are_accepted():
    assert np.isfinite(LogisticRegression(1).loss([[1.0], [2.0]], [True, False]))
