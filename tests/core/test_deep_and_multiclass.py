"""The grown core: any depth, a softmax for K classes, penalties — backpropagation against
central differences, stable softmax numerics, and the names and shapes other code relies on."""

import pickle
import warnings

import numpy as np
import pytest

from chainrule.core import ACTIVATIONS, MLP, LogisticRegression, backprop, fit, numerical_gradients, relative_error, softmax

from .test_gradients import assert_float32_backprop_tracks_float64

DEPTHS = {0: (), 1: (5,), 2: (6, 4), 3: (5, 4, 3)}


def make_data(n, d, n_classes, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    scores = X @ rng.standard_normal((d, n_classes)) + rng.standard_normal((n, n_classes))
    return X, np.argmax(scores, axis=1)


def make_model(depth, activation, n_classes, d, seed, dtype=np.float64):
    if depth == 0:
        return LogisticRegression(d, init="xavier", seed=seed, dtype=dtype, n_classes=n_classes)
    return MLP(d, activation=activation, init="xavier", seed=seed, dtype=dtype, hidden_widths=DEPTHS[depth],
               n_classes=n_classes)


def clear_of_kinks(model, X, eps):
    """True when no hidden pre-activation lies within a perturbation's reach of ReLU's kink at 0."""
    H = X
    for l in range(1, len(getattr(model, "hidden_widths", ())) + 1):
        A = H @ model.params[f"W{l}"].T + model.params[f"b{l}"]
        if np.abs(A).min() < 10 * eps * (1 + np.abs(H).max()):
            return False
        H = model._acts[l - 1](A)
    return True


def max_relative_error(analytic, numerical):
    # absolute slack of 1e-10: about the central differences' own rounding error
    return max(float((relative_error(analytic[k], numerical[k]) * (np.abs(analytic[k] - numerical[k]) > 1e-10)).max())
               for k in analytic)


ARCHITECTURES = [(0, None)] + [(depth, activation) for depth in (1, 2, 3) for activation in sorted(ACTIVATIONS)]


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("depth, activation", ARCHITECTURES, ids=lambda v: str(v))
@pytest.mark.parametrize("n, d", [(1, 1), (9, 2), (40, 4)])
def test_gradients_match_central_differences_at_every_depth_and_output(n, d, depth, activation, n_classes):
    X, y = make_data(n, d, n_classes, seed=n + d + depth)
    for seed in range(30):  # a draw whose pre-activations are clear of ReLU's kink
        model = make_model(depth, activation, n_classes, d, seed)
        if clear_of_kinks(model, X, 1e-5):
            break
    for l2 in (0.0, 0.3):
        error = max_relative_error(model.gradients(X, y, l2=l2), numerical_gradients(model, X, y, l2=l2))
        assert error < 1e-6, f"l2={l2}"


@pytest.mark.parametrize("n_classes", [2, 4])
def test_the_l1_subgradient_matches_central_differences_away_from_zero_weights(n_classes):
    X, y = make_data(20, 3, n_classes, seed=1)
    model = make_model(2, "tanh", n_classes, 3, seed=0)
    analytic = model.gradients(X, y, l1=0.1)
    assert max_relative_error(analytic, numerical_gradients(model, X, y, l1=0.1)) < 1e-6
    plain = model.gradients(X, y)
    np.testing.assert_allclose(analytic["W1"] - plain["W1"], 0.1 * np.sign(model.params["W1"]), atol=1e-15)
    np.testing.assert_array_equal(analytic["b1"], plain["b1"])  # biases are never penalised


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("depth", [1, 3])
def test_float32_backpropagation_tracks_float64_central_differences(depth, n_classes):
    X, y = make_data(30, 3, n_classes, seed=depth)
    model32 = make_model(depth, "tanh", n_classes, 3, seed=0, dtype=np.float32)
    assert_float32_backprop_tracks_float64(model32, make_model(depth, "tanh", n_classes, 3, seed=0), X, y)


def test_parameters_carry_the_documented_names_and_shapes():
    deep = MLP(4, hidden_widths=(16, 8), n_classes=2)
    assert {k: v.shape for k, v in deep.params.items()} == {
        "W1": (16, 4), "b1": (16,), "W2": (8, 16), "b2": (8,), "w": (8,), "b": ()}
    k_class = MLP(4, 6, n_classes=3)
    assert {k: v.shape for k, v in k_class.params.items()} == {"W1": (6, 4), "b1": (6,), "w": (3, 6), "b": (3,)}
    assert {k: v.shape for k, v in LogisticRegression(4, n_classes=5).params.items()} == {"w": (5, 4), "b": (5,)}
    assert deep.n_params == deep.theta.size == 16 * 5 + 8 * 17 + 9
    deep.params["W2"][0, 0] = 7.0  # writing into a view sets the weight
    assert 7.0 in deep.theta


@pytest.mark.parametrize("n_classes", [2, 3])
def test_probabilities_have_the_documented_shapes_and_sum_to_one(n_classes):
    X, y = make_data(50, 3, n_classes, seed=0)
    model = MLP(3, hidden_widths=(8, 8), activation=("relu", "tanh"), init="he", n_classes=n_classes)
    fit(model, X, y, lr=0.5, iterations=300)
    proba = model.predict_proba(X)
    if n_classes == 2:
        assert proba.shape == (50,)
        np.testing.assert_array_equal(model.predict(X), (proba >= 0.5).astype(int))
    else:
        assert proba.shape == (50, 3)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)
        np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))
    assert (model.predict(X) == y).mean() > 0.8


def test_a_deep_softmax_network_survives_pickling_with_its_views():
    model = MLP(3, hidden_widths=(4, 4), activation=("tanh", "relu"), n_classes=4, dtype=np.float32)
    X = np.random.default_rng(0).normal(size=(5, 3))
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))
    copy.params["w"][...] = 0
    assert not copy.theta[-4 * 5:].any() or not copy.params["w"].any()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_and_its_loss_are_exact_at_logits_of_ten_thousand(dtype):
    Z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype)
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        P = softmax(Z)
        model = LogisticRegression(3, n_classes=3, dtype=dtype)
        model.params["w"][...] = np.eye(3)  # logits = X
        losses = [model.loss(Z[i:i + 1], [label]) for i, label in enumerate([0, 2, 1])]
    np.testing.assert_array_equal(P[0], [1, 0, 0])
    np.testing.assert_allclose(P[1], 1 / 3, rtol=1e-6)
    np.testing.assert_array_equal(P[2], [0.5, 0.5, 0])
    assert losses[0] == 0.0  # the label's logit leads by 1e4
    assert losses[1] == pytest.approx(np.log(3), rel=1e-6)
    assert losses[2] == pytest.approx(np.log(2), rel=1e-6)
    assert model.loss(Z[:1], [1]) == pytest.approx(2e4, rel=1e-7)  # wrong by 2e4: exact, not capped


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: MLP(2, hidden_widths=(16, 0)), "hidden_widths[1] must be an integer >= 1; got 0"),
        (lambda: MLP(2, hidden_widths=()), "hidden_widths must be a non-empty sequence"),
        (lambda: MLP(2, 3, hidden_widths=(3,)), "give hidden_width (one hidden layer) or hidden_widths"),
        (lambda: MLP(2), "not neither"),
        (lambda: MLP(2, hidden_widths=(3, 3), activation=("relu",)), "one activation per hidden layer: got 1"),
        (lambda: MLP(2, 3, activation=("relu", "swish")), "one activation per hidden layer"),
        (lambda: MLP(2, hidden_widths=(3,), activation=("swish",)), "unknown activation 'swish'"),
        (lambda: MLP(2, 3, n_classes=1), "n_classes must be an integer >= 2; got 1"),
        (lambda: LogisticRegression(2, n_classes=2.5), "n_classes must be an integer >= 2"),
    ],
)
def test_bad_architectures_are_refused_with_what_was_given(build, message):
    with pytest.raises(ValueError) as error:
        build()
    assert message in str(error.value)


def test_labels_outside_or_with_a_gap_are_refused_by_name():
    X = np.zeros((4, 2))
    model = MLP(2, 3, n_classes=3)
    with pytest.raises(ValueError, match=r"y must hold the labels 0\.\.2 \(n_classes=3\); got values such as \[3\]"):
        fit(model, X, [0, 1, 2, 3], lr=0.1, iterations=1)
    with pytest.raises(ValueError, match=r"y has no example of class 1 of 0\.\.2.*got \[0, 2\]"):
        fit(model, X, [0, 2, 2, 0], lr=0.1, iterations=1)
    with pytest.raises(ValueError, match="y_val must hold the labels"):
        fit(model, X, [0, 1, 2, 0], lr=0.1, iterations=1, validation_data=(X, [0, 1, 2, -1]))
    assert model.loss(X, [0, 2, 2, 0]) > 0  # scoring a subset of classes is fine


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("depth", [0, 1, 2])
def test_a_batch_worked_through_in_row_blocks_gives_the_batchs_loss_and_gradient(depth, n_classes, monkeypatch):
    X, y = make_data(50, 3, n_classes, seed=depth)
    model = make_model(depth, "tanh", n_classes, 3, seed=1)
    whole = model.loss(X, y, l2=0.1), model.gradients(X, y, l2=0.1), model.predict_proba(X)
    monkeypatch.setattr(backprop, "block_rows", lambda net: 7)  # 50 rows: seven blocks of 7 and one of 1
    assert model.workspace(50).rows == 7
    blocked = model.loss(X, y, l2=0.1), model.gradients(X, y, l2=0.1), model.predict_proba(X)
    assert blocked[0] == pytest.approx(whole[0], rel=1e-14)
    for name in whole[1]:
        np.testing.assert_allclose(blocked[1][name], whole[1][name], rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(blocked[2], whole[2], rtol=1e-14)
