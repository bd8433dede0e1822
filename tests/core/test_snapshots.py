"""Snapshots: copies of θ at chosen steps, read without changing training; hidden_outputs: what each neuron computes."""

import numpy as np
import pytest

from chainrule.core import MLP, LogisticRegression, Snapshots, fit, hidden_outputs


def data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("batch_size, early_stopping", [(None, False), (32, "validation_loss")])
def test_keeping_snapshots_changes_no_bit_of_training(batch_size, early_stopping):
    X, y = data()
    runs = []
    for keep in (False, True):
        model = MLP(2, activation="tanh", seed=3, hidden_widths=(8, 4))
        snapshots = Snapshots(model, range(0, 31, 3)) if keep else None
        history = fit(model, X[:150], y[:150], 0.05, 30, batch_size, optimizer="adam", shuffle=True,
                      early_stopping=early_stopping, validation_data=(X[150:], y[150:]), callback=snapshots)
        runs.append((history, model.theta.copy()))
    np.testing.assert_array_equal(runs[0][0].loss, runs[1][0].loss)
    np.testing.assert_array_equal(runs[0][0].val_loss, runs[1][0].val_loss)
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_a_snapshot_holds_the_weights_after_that_many_iterations():
    X, y = data()
    model = MLP(2, 4, "relu", seed=1)
    initial = model.theta.copy()
    snapshots = Snapshots(model, [0, 1, 5])
    fit(model, X, y, 0.1, 5, callback=snapshots)
    np.testing.assert_array_equal(snapshots.theta[0], initial)
    again = MLP(2, 4, "relu", seed=1)
    fit(again, X, y, 0.1, 1)
    np.testing.assert_array_equal(snapshots.theta[1], again.theta)
    np.testing.assert_array_equal(snapshots.theta[5], model.theta)
    assert list(snapshots.finish()) == [0, 1, 5]


def test_the_last_step_reached_is_kept_when_a_stopping_rule_ends_training_early():
    X, y = data()
    model = MLP(2, 4, "relu", seed=1)
    snapshots = Snapshots(model, [0, 1000])
    history = fit(model, X, y, 0.1, 1000, early_stopping="training_loss", n_iter_no_change=2, tol=1e-2,
                  callback=snapshots)
    assert len(history) < 1000
    theta = snapshots.finish()
    assert list(theta) == [0, len(history)]
    np.testing.assert_array_equal(theta[len(history)], model.theta)  # no validation monitor: nothing restored


def test_model_at_a_step_predicts_with_that_steps_weights_and_leaves_the_model_alone():
    X, y = data()
    model = MLP(2, 4, "relu", seed=1)
    snapshots = Snapshots(model, [0])
    untrained = model.predict_proba(X)
    fit(model, X, y, 0.5, 50, callback=snapshots)
    trained = model.theta.copy()
    np.testing.assert_array_equal(snapshots.model_at(0).predict_proba(X), untrained)
    np.testing.assert_array_equal(model.theta, trained)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_hidden_outputs_are_each_layers_g_of_a(activation):
    X, _ = data(50)
    model = MLP(2, activation=activation, seed=2, hidden_widths=(5, 3), n_classes=3)
    g = {"relu": lambda a: np.maximum(a, 0), "tanh": np.tanh, "sigmoid": lambda a: 1 / (1 + np.exp(-a))}[activation]
    p = model.params
    H1 = g(X @ p["W1"].T + p["b1"])  # eqs. 61–62
    H2 = g(H1 @ p["W2"].T + p["b2"])
    out = hidden_outputs(model, X)
    assert [h.shape for h in out] == [(50, 5), (50, 3)]
    np.testing.assert_allclose(out[0], H1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out[1], H2, rtol=1e-12, atol=1e-15)


def test_hidden_outputs_of_many_rows_match_those_of_few():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((70_000, 2))  # more rows than one block of the forward pass
    model = MLP(2, 16, "tanh", seed=0)
    np.testing.assert_array_equal(hidden_outputs(model, X)[0][-5:], hidden_outputs(model, X[-5:])[0])


def test_logistic_regression_has_no_hidden_outputs():
    assert hidden_outputs(LogisticRegression(2), np.zeros((3, 2))) == []
