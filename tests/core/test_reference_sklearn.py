"""The core against scikit-learn doing the same arithmetic (as micrograd's tests check against PyTorch).

Every case starts both from the same weights (scikit-learn's own initialisation is
Glorot-uniform, the core's is the seed's: the comparison is of the training, not of the draw)
and demands agreement to 1e-10 in every parameter and in the loss curve. scikit-learn clips
probabilities to [eps, 1 − eps] in its log loss; with these data no probability comes within
eps of 0 or 1, so the clipped and the exact loss are the same numbers.
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from chainrule.core import MLP, Adam, LogisticRegression, Momentum, fit
from chainrule.benchmarks.sklearn_reference import SKLEARN_ACTIVATION, fit_quietly, reference_classifier

ITERATIONS = 100
"""Updates per comparison: epochs of one batch, or 20 epochs of 5 mini-batches (300 rows by 64)."""


def epochs(batch_size, n_samples=300):
    """Epochs that make ITERATIONS updates with batches of ``batch_size`` (None: the full batch)."""
    per_epoch = 1 if batch_size is None else -(-n_samples // batch_size)
    return ITERATIONS // per_epoch


def _data(n_classes, n_samples=300):
    return make_classification(n_samples=n_samples, n_features=5, n_informative=3, n_classes=n_classes,
                               n_clusters_per_class=1, random_state=0)


def assert_same_training(model, history, clf, X):
    L = len(model.hidden_widths)
    for l in range(1, L + 1):
        np.testing.assert_allclose(model.params[f"W{l}"], clf.coefs_[l - 1].T, rtol=0, atol=1e-10)
        np.testing.assert_allclose(model.params[f"b{l}"], clf.intercepts_[l - 1], rtol=0, atol=1e-10)
    w_sklearn = clf.coefs_[L].T if model.n_classes > 2 else clf.coefs_[L][:, 0]
    np.testing.assert_allclose(model.params["w"], w_sklearn, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.params["b"], clf.intercepts_[L].reshape(model.params["b"].shape), rtol=0, atol=1e-10)
    assert history.n_iter == clf.n_iter_
    np.testing.assert_allclose(history.loss, clf.loss_curve_, rtol=0, atol=1e-10)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(model.predict_proba(X), proba if model.n_classes > 2 else proba[:, 1], rtol=0, atol=1e-10)
    assert history.loss[-1] < history.loss[0]  # it trained, so agreement is not agreement on a no-op


@pytest.mark.parametrize("n_classes", [2, 3, 4])
@pytest.mark.parametrize("activation", sorted(SKLEARN_ACTIVATION))
@pytest.mark.parametrize("widths", [(12,), (10, 6), (8, 6, 4)], ids=lambda w: f"depth{len(w)}")
def test_full_batch_descent_follows_sklearn_step_for_step(widths, activation, n_classes):
    X, y = _data(n_classes)
    model = MLP(5, activation=activation, init="xavier", seed=2, hidden_widths=widths, n_classes=n_classes)
    clf = reference_classifier(model, X, y, lr=0.3, iterations=ITERATIONS)

    history = fit(model, X, y, lr=0.3, iterations=ITERATIONS)
    fit_quietly(clf, X, y)
    assert_same_training(model, history, clf, X)


def test_a_batch_larger_than_a_row_block_follows_sklearn_too():
    # 5,000 rows: the core works through each batch in blocks (backprop.block_rows); the sum is the same
    X, y = make_classification(n_samples=5000, n_features=5, n_informative=3, n_classes=3, n_clusters_per_class=1,
                               random_state=0)
    model = MLP(5, activation="relu", init="xavier", seed=2, hidden_widths=(64, 32), n_classes=3)
    assert model.workspace(5000).rows < 2500  # three blocks
    clf = reference_classifier(model, X, y, lr=0.3, iterations=30)
    history = fit(model, X, y, lr=0.3, iterations=30)
    fit_quietly(clf, X, y)
    assert_same_training(model, history, clf, X)


OPTIMIZERS = {
    "momentum": (Momentum(0.9), 0.05),
    "nesterov": (Momentum(0.9, nesterov=True), 0.05),
    "adam": (Adam(), 0.01),
    "adam(0.8, 0.99, 1e-6)": (Adam(beta_1=0.8, beta_2=0.99, epsilon=1e-6), 0.01),
}


@pytest.mark.parametrize("batch_size", [None, 64], ids=["full-batch", "batches-of-64-last-44"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_follows_sklearn_step_for_step(optimizer, n_classes, batch_size):
    X, y = _data(n_classes)
    opt, lr = OPTIMIZERS[optimizer]
    model = MLP(5, activation="tanh", init="xavier", seed=1, hidden_widths=(10, 6), n_classes=n_classes)
    clf = reference_classifier(model, X, y, lr, epochs(batch_size), batch_size, optimizer=opt)

    history = fit(model, X, y, lr, epochs(batch_size), batch_size, optimizer=opt)
    fit_quietly(clf, X, y)
    assert_same_training(model, history, clf, X)


@pytest.mark.parametrize("optimizer", ["gd", "momentum"])
@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_learning_rate_schedules_follow_sklearn(schedule, optimizer):
    X, y = _data(3)
    # a first step small enough that no probability saturates: past it, scikit-learn's clipped
    # log loss and the exact one part (the weights would still agree)
    lr = 0.3
    # adaptive: a plateau every few epochs, so that it divides its rate several times in 20 epochs
    # (invscaling stops at no plateau in the core unless asked to; scikit-learn's rule is kept off)
    stopping = dict(n_iter_no_change=1, tol=1e-2) if schedule == "adaptive" else {}
    model = MLP(5, activation="relu", init="xavier", seed=0, hidden_widths=(16,), n_classes=3)
    clf = reference_classifier(model, X, y, lr, epochs(64), 64, optimizer=optimizer, schedule=schedule, **stopping)

    history = fit(model, X, y, lr, epochs(64), 64, optimizer=optimizer, schedule=schedule, **stopping)
    assert history.monitor == ("training_loss" if schedule == "adaptive" else None)
    fit_quietly(clf, X, y)
    assert_same_training(model, history, clf, X)
    if schedule == "invscaling":  # η = η0 / (t + 1)^0.5, t the examples seen before the epoch
        np.testing.assert_array_equal(history.learning_rate, lr / (np.arange(history.n_iter) * 300 + 1) ** 0.5)
    assert len(np.unique(history.learning_rate)) > 3  # the rate did change, several times


def test_l2_is_sklearns_alpha_divided_by_the_batch_size():
    X, y = _data(2)
    model = MLP(5, 8, "tanh", init="xavier", seed=4)
    l2 = 1e-2
    clf = reference_classifier(model, X, y, 0.5, ITERATIONS, l2=l2)
    assert clf.alpha == pytest.approx(l2 * X.shape[0])

    history = fit(model, X, y, 0.5, ITERATIONS, l2=l2)
    fit_quietly(clf, X, y)
    assert_same_training(model, history, clf, X)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_early_stopping_on_validation_accuracy_is_sklearns(n_classes):
    # flip_y: noisy labels, so validation accuracy stops improving well before 300 epochs
    X, y = make_classification(n_samples=400, n_features=5, n_informative=3, n_classes=n_classes, flip_y=0.2,
                               n_clusters_per_class=1, random_state=5)
    model = MLP(5, activation="relu", init="xavier", seed=3, hidden_widths=(32, 16), n_classes=n_classes)
    rule = dict(n_iter_no_change=5, tol=1e-4)
    clf = reference_classifier(model, X, y, 0.01, 300, 32, optimizer="adam", validation_fraction=0.2, **rule)
    # the split scikit-learn makes inside fit (stratified for one output column)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=0,
                                                      stratify=y if n_classes == 2 else None)

    history = fit(model, X_train, y_train, 0.01, 300, 32, optimizer="adam", early_stopping="validation_accuracy",
                  validation_data=(X_val, y_val), **rule)
    fit_quietly(clf, X, y)

    assert history.n_iter == clf.n_iter_ < 300  # it stopped early, at the same epoch
    np.testing.assert_allclose(history.monitored, clf.validation_scores_, rtol=0, atol=0)
    assert history.best_iteration == history.kept_iteration == int(np.argmax(clf.validation_scores_))
    assert history.best_iteration < history.n_iter - rule["n_iter_no_change"]
    assert_same_training(model, history, clf, X_train)  # the restored best weights included
    assert "validation accuracy did not improve" in history.reason and not history.diverged


def test_logistic_regression_converges_to_sklearns_unpenalised_optimum():
    # overlapping classes: the maximum-likelihood weights are finite
    X, y = make_classification(
        n_samples=400, n_features=4, n_informative=3, n_redundant=0, flip_y=0.15, class_sep=0.8, random_state=3
    )
    reference = SklearnLogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    best = log_loss(y, reference.predict_proba(X)[:, 1])

    model = LogisticRegression(4)
    fit(model, X, y, lr=1.0, iterations=3000)
    assert abs(model.loss(X, y) - best) < 1e-4
    np.testing.assert_allclose(model.params["w"], reference.coef_[0], rtol=1e-6)


def test_softmax_regression_converges_to_sklearns_multinomial_optimum():
    X, y = make_classification(n_samples=400, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
                               flip_y=0.15, n_clusters_per_class=1, random_state=3)
    reference = SklearnLogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    best = log_loss(y, reference.predict_proba(X))

    model = LogisticRegression(4, n_classes=3)
    fit(model, X, y, lr=1.0, iterations=5000)
    assert abs(model.loss(X, y) - best) < 1e-6
    # softmax's logits are defined up to a constant per feature: compare centred weights
    np.testing.assert_allclose(model.params["w"] - model.params["w"].mean(0), reference.coef_ - reference.coef_.mean(0), rtol=1e-4, atol=1e-6)
