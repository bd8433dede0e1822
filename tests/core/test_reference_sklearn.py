"""The core against scikit-learn doing the same arithmetic (as micrograd's tests check against PyTorch)."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.metrics import log_loss

from chainrule.core import MLP, LogisticRegression, fit
from chainrule.benchmarks.sklearn_reference import SKLEARN_ACTIVATION, fit_quietly, full_batch_mlp_classifier


@pytest.mark.parametrize("activation", sorted(SKLEARN_ACTIVATION))
def test_full_batch_mlp_follows_sklearn_step_for_step(activation):
    X, y = make_classification(n_samples=300, n_features=5, n_informative=3, random_state=0)
    model = MLP(5, 12, activation, init="xavier", seed=2)
    clf = full_batch_mlp_classifier(model, X, y, lr=0.3, iterations=100)

    history = fit(model, X, y, lr=0.3, iterations=100)
    fit_quietly(clf, X, y)

    assert clf.n_iter_ == 100
    np.testing.assert_allclose(model.params["W1"], clf.coefs_[0].T, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.params["b1"], clf.intercepts_[0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.params["w"], clf.coefs_[1][:, 0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.params["b"], clf.intercepts_[1][0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(history.loss, clf.loss_curve_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X)[:, 1], rtol=0, atol=1e-10)
    assert history.loss[-1] < history.loss[0]  # it trained, so agreement is not agreement on a no-op


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
