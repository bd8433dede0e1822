"""Optimizers, schedules and stopping rules: what ``fit`` does with them and what it refuses.
(Agreement with scikit-learn, number for number, is in ``test_reference_sklearn.py``.)"""

import re
import tracemalloc

import numpy as np
import pytest

from chainrule.core import MLP, OPTIMIZERS, Adam, Momentum, fit


def noisy_blobs(n=400, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    X = rng.standard_normal((n, 4)) + 1.5 * np.eye(n_classes, 4)[y]
    flip = rng.random(n) < 0.25
    y[flip] = rng.integers(0, n_classes, flip.sum())
    return X, y


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("n_classes", [2, 3])
def test_every_optimizer_lowers_the_loss_at_any_depth_and_batch_size(optimizer, n_classes):
    X, y = noisy_blobs(n_classes=n_classes)
    model = MLP(4, hidden_widths=(16, 8), init="he", seed=1, n_classes=n_classes)
    lr = 0.01 if optimizer == "adam" else 0.1
    history = fit(model, X, y, lr, 30, 32, optimizer=optimizer, shuffle=True)
    assert history.loss[-1] < 0.8 * history.loss[0] and not history.reason
    assert np.all(history.learning_rate == lr)


def test_an_optimizer_object_starts_afresh_in_every_fit():
    X, y = noisy_blobs()
    adam = Adam(beta_1=0.8)
    runs = []
    for _ in range(2):
        model = MLP(4, 8, seed=0, n_classes=3)
        runs.append((fit(model, X, y, 0.01, 20, 50, optimizer=adam).loss, model.theta.copy()))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_float32_training_with_state_stays_float32(optimizer):
    X, y = noisy_blobs()
    model = MLP(4, 8, dtype=np.float32, n_classes=3)
    fit(model, X, y, 0.01, 5, 64, optimizer=optimizer)
    assert model.theta.dtype == np.float32 and np.isfinite(model.theta).all()


def test_by_default_every_iteration_runs_whatever_the_loss_does():
    X, y = noisy_blobs()
    history = fit(MLP(4, 8, n_classes=3), X, y, 0.1, 60, tol=1.0, n_iter_no_change=1)
    assert history.n_iter == 60 and history.monitor is None and history.reason == ""
    assert history.kept_iteration == 59 and history.best_iteration is None


def test_early_stopping_on_validation_loss_keeps_the_best_epochs_weights():
    X, y = noisy_blobs(600)
    X_val, y_val = noisy_blobs(300, seed=1)
    model = MLP(4, hidden_widths=(64, 64), init="he", seed=0, n_classes=3)
    # a large network on noisy labels: it overfits, so validation loss turns up
    history = fit(model, X, y, 0.01, 500, 32, optimizer="adam", early_stopping=True, n_iter_no_change=5,
                  validation_data=(X_val, y_val))
    assert history.monitor == "validation_loss" and history.n_iter < 500
    best = history.best_iteration
    assert history.kept_iteration == best and best == int(np.argmin(history.monitored))
    assert history.n_iter == best + 1 + 5 + 1  # n_iter_no_change epochs tolerated, the next one stops
    assert model.loss(X_val, y_val) == history.monitored[best]  # the restored weights are those
    # the monitored value after epoch i is the validation loss epoch i + 1 starts from
    np.testing.assert_array_equal(history.val_loss[1:], history.monitored[:-1])
    assert re.fullmatch(r"validation loss did not improve by tol=0\.0001 for 6 epochs \(n_iter_no_change=5\) "
                        r"at iteration \d+", history.reason)
    assert not history.diverged


def test_the_training_loss_rule_stops_but_keeps_the_last_weights():
    X, y = noisy_blobs()
    history = fit(MLP(4, 8, n_classes=3), X, y, 0.05, 2000, early_stopping=True, tol=1e-3, n_iter_no_change=3)
    assert history.monitor == "training_loss" and history.n_iter < 2000
    assert history.kept_iteration == history.n_iter - 1
    np.testing.assert_array_equal(history.monitored, history.loss)


def test_adaptive_divides_the_rate_by_five_at_each_plateau_and_stops_at_one_millionth():
    X, y = noisy_blobs()
    history = fit(MLP(4, 8, n_classes=3), X, y, 1.0, 5000, schedule="adaptive", tol=0.5, n_iter_no_change=1)
    rates = np.unique(history.learning_rate)[::-1]
    np.testing.assert_allclose(rates, 1.0 / 5.0 ** np.arange(len(rates)), rtol=1e-15)
    assert rates[-1] <= 1e-6 < rates[-2]
    assert history.n_iter == 3 + 2 * (len(rates) - 1) and "the learning rate is down to" in history.reason


def _temporaries_per_iteration(n_rows, n_classes, optimizer, batch_size) -> int:
    """The most memory any iteration of a fit allocates on top of what it started with."""
    X, y = noisy_blobs(n_rows, n_classes=n_classes)
    X_val, y_val = noisy_blobs(n_rows // 4, n_classes=n_classes, seed=1)
    model = MLP(4, hidden_widths=(32, 16), n_classes=n_classes)
    peaks = []

    def after_iteration(*_):
        current, peak = tracemalloc.get_traced_memory()
        peaks.append(peak - current)
        tracemalloc.reset_peak()

    tracemalloc.start()
    try:
        fit(model, X, y, 0.01, 6, batch_size, optimizer=optimizer, shuffle=batch_size is not None,
            early_stopping="validation_accuracy", validation_data=(X_val, y_val), callback=after_iteration)
    finally:
        tracemalloc.stop()
    return max(peaks[1:])  # the first iteration also holds what preparing the data left


@pytest.mark.parametrize("batch_size", [None, 100])
@pytest.mark.parametrize("optimizer", ["gd", "adam"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_an_iteration_allocates_nothing_that_grows_with_the_data(n_classes, optimizer, batch_size):
    # Every N-sized buffer is allocated once, before the first iteration; what an iteration still
    # allocates (NumPy's ufunc buffers of 8,192 elements, parameter-sized copies) does not depend
    # on N. At 64,000 rows one float64 per row (512 kB) would stand well above that fixed part.
    small, large = (_temporaries_per_iteration(n, n_classes, optimizer, batch_size) for n in (8000, 64000))
    assert large - small < 56000, f"an iteration takes {large - small} bytes more for 56,000 more rows"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"optimizer": "sgd"}, "unknown optimizer 'sgd'; valid optimizers: adam, gd, momentum, nesterov"),
        ({"schedule": "cosine"}, "unknown schedule 'cosine'; valid schedules: adaptive, constant, invscaling"),
        ({"early_stopping": "val_loss"}, "early_stopping must be True, False or one of validation_loss, "
                                         "validation_accuracy, training_loss; got 'val_loss'"),
        ({"early_stopping": "validation_accuracy"}, "early_stopping='validation_accuracy' needs validation_data"),
        ({"early_stopping": True, "tol": -1}, "tol must be a finite number >= 0; got -1.0"),
        ({"early_stopping": True, "n_iter_no_change": 0}, "n_iter_no_change must be an integer >= 1; got 0"),
        ({"power_t": -0.5}, "power_t must be a finite number >= 0; got -0.5"),
        ({"l1": -1}, "l1 must be a finite number >= 0; got -1.0"),
    ],
)
def test_bad_training_settings_are_refused_before_any_update(kwargs, message):
    X, y = noisy_blobs()
    model = MLP(4, 3, n_classes=3)
    before = model.theta.copy()
    with pytest.raises(ValueError, match=re.escape(message)):
        fit(model, X, y, **({"lr": 0.1, "iterations": 1} | kwargs))
    np.testing.assert_array_equal(model.theta, before)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Adam(beta_1=1.0), "beta_1 must be in [0, 1); got 1.0"),
        (lambda: Adam(beta_2=-0.1), "beta_2 must be a finite number >= 0; got -0.1"),
        (lambda: Adam(epsilon=0), "epsilon must be a finite number > 0; got 0.0"),
        (lambda: Momentum(momentum=1.5), "momentum must be in [0, 1); got 1.5"),
    ],
)
def test_bad_optimizer_settings_say_what_is_allowed(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build()
