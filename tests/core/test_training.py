"""fit(): the seed's training loops, vectorised, reproducible, and honest about divergence."""

import re

import numpy as np
import pytest

from chainrule.core import MLP, History, LogisticRegression, design_matrix, fit

from . import seed_listings


def moons_like(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    y = (X[:, 1] > np.sin(2 * X[:, 0]) + 0.3 * rng.standard_normal(n)).astype(int)
    return X, y


def test_full_batch_descent_is_the_seeds_train_model():
    X, y = moons_like()
    model = LogisticRegression(2, init="small", seed=3)
    w0, b0 = model.params["w"].copy(), float(model.params["b"])
    history = fit(model, X, y, lr=0.5, iterations=300)
    w, b, reference = seed_listings.train_model(design_matrix(X), y, w0, b0, 0.5, 300)
    np.testing.assert_allclose(history.loss, reference, rtol=1e-13)
    np.testing.assert_allclose(model.params["w"], w, rtol=1e-12)
    assert float(model.params["b"]) == pytest.approx(b, rel=1e-12)


def test_batch_size_one_is_the_seeds_per_example_train_nn():
    X, y = moons_like(n=40)
    model = MLP(2, 2, "relu", init="he", seed=0)
    start = [model.params[k].copy() for k in ("W1", "b1", "w", "b")]
    history = fit(model, X, y, lr=0.05, iterations=25, batch_size=1)
    *weights, reference = seed_listings.train_nn(X, y, *start, learning_rate=0.05, num_iterations=25)
    np.testing.assert_allclose(history.loss, reference, rtol=1e-12)
    for name, expected in zip(("W1", "b1", "w", "b"), weights):
        np.testing.assert_allclose(model.params[name], expected, rtol=1e-11, atol=1e-14)


def test_mini_batches_average_the_per_example_losses_of_the_epoch():
    X, y = moons_like(n=50)
    a = MLP(2, 3, "tanh", init="xavier")
    b = MLP(2, 3, "tanh", init="xavier")
    history = fit(a, X, y, lr=0.1, iterations=3, batch_size=16)  # batches of 16, 16, 16, 2
    losses = []
    for _ in range(3):
        seen = 0.0
        for start in range(0, 50, 16):
            Xb, yb = X[start : start + 16], y[start : start + 16]
            seen += b.loss(Xb, yb) * len(yb)
            for name, g in b.gradients(Xb, yb).items():
                b.params[name][...] -= 0.1 * g
        losses.append(seen / 50)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-13)
    for name in a.params:
        np.testing.assert_allclose(a.params[name], b.params[name], rtol=1e-12)


def test_training_reduces_the_loss_and_fits_the_data():
    X, y = moons_like(n=200)
    model = MLP(2, 16, "relu", init="he", seed=0)
    history = fit(model, X, y, lr=0.5, iterations=500)
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert (model.predict(X) == y).mean() > 0.9


def test_the_same_seed_gives_bit_identical_parameters_and_history():
    X, y = moons_like()
    runs = []
    for _ in range(2):
        model = MLP(2, 5, "leaky_relu", init="he", seed=11)
        history = fit(model, X, y, lr=0.2, iterations=30, batch_size=7, shuffle=True, seed=5)
        runs.append((history.loss, {k: v.copy() for k, v in model.params.items()}))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    for name in runs[0][1]:
        np.testing.assert_array_equal(runs[0][1][name], runs[1][1][name])


def test_shuffling_changes_the_order_of_updates_and_its_seed_matters():
    X, y = moons_like()

    def final_w(shuffle, seed):
        model = MLP(2, 3, init="he", seed=0)
        fit(model, X, y, lr=0.1, iterations=3, batch_size=10, shuffle=shuffle, seed=seed)
        return model.params["w"].copy()

    assert not np.array_equal(final_w(False, 0), final_w(True, 0))
    assert not np.array_equal(final_w(True, 0), final_w(True, 1))
    np.testing.assert_array_equal(final_w(False, 0), final_w(False, 1))


def test_l2_shrinks_the_weights():
    X, y = moons_like()
    free, penalised = MLP(2, 8, init="he"), MLP(2, 8, init="he")
    fit(free, X, y, lr=0.5, iterations=200)
    history = fit(penalised, X, y, lr=0.5, iterations=200, l2=0.05)
    assert np.linalg.norm(penalised.params["W1"]) < np.linalg.norm(free.params["W1"])
    assert history.loss[-1] == pytest.approx(penalised.loss(X, y, l2=0.05), rel=0.05)


def test_history_behaves_as_the_seeds_loss_list():
    X, y = moons_like()
    history = fit(LogisticRegression(2), X, y, lr=0.1, iterations=12)
    assert isinstance(history, History)
    assert len(history) == 12 and len(list(history)) == 12
    assert history[-1] == history.loss[-1]
    assert np.asarray(history).shape == (12,)
    assert not history.diverged and history.reason == "" and history.diverged_at is None
    assert history.val_loss is None


def test_validation_loss_is_recorded_at_the_parameters_each_iteration_starts_from():
    X, y = moons_like(n=150)
    Xv, yv = moons_like(n=60, seed=1)
    model = MLP(2, 4, init="he")
    reference = MLP(2, 4, init="he")
    history = fit(model, X, y, lr=0.3, iterations=5, validation_data=(Xv, yv))
    expected = []
    for _ in range(5):
        expected.append(reference.loss(Xv, yv))
        fit(reference, X, y, lr=0.3, iterations=1)
    np.testing.assert_allclose(history.val_loss, expected, rtol=1e-13)
    np.testing.assert_allclose(history.loss[0], MLP(2, 4, init="he").loss(X, y), rtol=1e-13)


def test_the_callback_sees_every_completed_iteration():
    X, y = moons_like()
    seen = []
    history = fit(
        MLP(2, 2), X, y, lr=0.1, iterations=4, validation_data=(X, y),
        callback=lambda i, loss, val: seen.append((i, loss, val)),
    )
    assert [i for i, _, _ in seen] == [0, 1, 2, 3]
    assert [loss for _, loss, _ in seen] == list(history.loss)
    assert [val for _, _, val in seen] == list(history.val_loss)


def test_divergence_stops_training_and_keeps_the_finite_history():
    X, y = moons_like()
    X = X * 1e3
    history = fit(MLP(2, 8, "relu", init="he"), X, y, lr=1e6, iterations=1000)
    assert history.diverged
    assert 0 < len(history) < 1000
    assert np.isfinite(history.loss).all()
    assert history.diverged_at == len(history)
    assert "non-finite" in history.reason and f"iteration {len(history)}" in history.reason


def test_an_exploding_loss_stops_training_when_a_factor_is_given():
    X, y = moons_like()
    history = fit(MLP(2, 8, "relu", init="he"), X * 10, y, lr=50.0, iterations=500, max_loss_factor=10)
    assert history.diverged and "exploded" in history.reason
    assert history.loss.max() <= 10 * history.loss[0]


def test_float32_training_stays_float32_and_tracks_float64():
    X, y = moons_like()
    m32 = MLP(2, 6, "tanh", init="xavier", dtype=np.float32)
    m64 = MLP(2, 6, "tanh", init="xavier")
    h32 = fit(m32, X, y, lr=0.3, iterations=200, batch_size=32, shuffle=True)
    h64 = fit(m64, X, y, lr=0.3, iterations=200, batch_size=32, shuffle=True)
    assert all(p.dtype == np.float32 for p in m32.params.values())
    np.testing.assert_allclose(h32.loss, h64.loss, rtol=1e-4)
    for name in m32.params:
        np.testing.assert_allclose(m32.params[name], m64.params[name], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": 0}, "lr must be a finite number > 0; got 0.0"),
        ({"lr": -0.1}, "lr must be a finite number > 0; got -0.1"),
        ({"lr": float("nan")}, "lr must be a finite number > 0; got nan"),
        ({"lr": float("inf")}, "lr must be a finite number > 0; got inf"),
        ({"lr": "0.1"}, "lr must be a finite number > 0; got '0.1' (str)"),
        ({"iterations": 0}, "iterations must be an integer >= 1; got 0"),
        ({"iterations": 2.5}, "iterations must be an integer >= 1; got 2.5 (float)"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1; got 0"),
        ({"batch_size": 121}, "batch_size must be between 1 and the number of samples (120); got 121"),
        ({"l2": -1}, "l2 must be a finite number >= 0; got -1.0"),
        ({"max_loss_factor": 0}, "max_loss_factor must be a finite number > 0; got 0.0"),
    ],
)
def test_bad_training_settings_are_rejected_before_any_update(kwargs, message):
    X, y = moons_like()
    model = MLP(2, 2)
    before = {name: p.copy() for name, p in model.params.items()}
    with pytest.raises(ValueError, match=re.escape(message)):
        fit(model, X, y, **({"lr": 0.1, "iterations": 1} | kwargs))
    for name, p in model.params.items():
        np.testing.assert_array_equal(p, before[name])


@pytest.mark.parametrize(
    "X_val, y_val, message",
    [
        (np.ones((3, 2)), [0, 1, 2], "y_val must contain only 0 and 1; got values such as [2]"),
        (np.ones((3, 2)), [0, 1], "X_val has 3 samples but y_val has 2; lengths must match"),
        (np.ones((3, 1)), [0, 1, 1], "X_val has 1 features but the model expects n_features=2"),
    ],
)
def test_bad_validation_data_is_named_as_such(X_val, y_val, message):
    X, y = moons_like()
    with pytest.raises(ValueError, match=re.escape(message)):
        fit(MLP(2, 2), X, y, lr=0.1, iterations=1, validation_data=(X_val, y_val))
