"""scikit-learn configured to do exactly the core's arithmetic, for reference tests and benchmarks.

``MLPClassifier`` with plain SGD (no momentum, no penalty, constant step), one batch of
all ``N`` examples and no shuffling performs the seed's full-batch gradient descent on
the same network: one hidden layer, a logistic output unit, mean binary cross-entropy.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from chainrule.core import MLP

# scikit-learn's names for the core's hidden activations (leaky ReLU has no counterpart).
SKLEARN_ACTIVATION = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic"}


def full_batch_mlp_classifier(model: MLP, X, y, lr: float, iterations: int) -> MLPClassifier:
    """An ``MLPClassifier`` starting from ``model``'s current weights, ready to ``fit(X, y)``.

    Parameters
    ----------
    model : MLP
        Supplies the architecture and the initial weights (copied, not shared).
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    lr : float
        Learning rate.
    iterations : int
        Gradient-descent steps that the next ``fit(X, y)`` performs.

    Returns
    -------
    MLPClassifier
        Calling ``fit(X, y)`` on it runs ``iterations`` full-batch steps from the
        model's weights; its ``loss_curve_`` then matches the core's history.
    """
    if model.activation not in SKLEARN_ACTIVATION:
        raise ValueError(
            f"scikit-learn has no {model.activation!r} activation; "
            f"choose one of {sorted(SKLEARN_ACTIVATION)}"
        )
    clf = MLPClassifier(
        hidden_layer_sizes=(model.hidden_width,),
        activation=SKLEARN_ACTIVATION[model.activation],
        solver="sgd",
        alpha=0.0,
        batch_size=X.shape[0],
        learning_rate="constant",
        learning_rate_init=lr,
        momentum=0.0,
        nesterovs_momentum=False,
        shuffle=False,
        max_iter=1,
        tol=0.0,
        n_iter_no_change=np.iinfo(np.int32).max,  # never stop early
        warm_start=True,
        random_state=0,
    )
    # One step sets up the label binarizer and the layer bookkeeping; warm_start then
    # keeps the weights we put in place of the ones it drew.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    p = model.params
    dtype = np.asarray(X).dtype
    clf.coefs_ = [p["W1"].T.astype(dtype), p["w"].reshape(-1, 1).astype(dtype)]
    clf.intercepts_ = [p["b1"].astype(dtype), p["b"].reshape(1).astype(dtype)]
    clf.max_iter = iterations
    clf.loss_curve_ = []  # forget the set-up step
    return clf


def fit_quietly(clf: MLPClassifier, X, y) -> MLPClassifier:
    """``clf.fit(X, y)`` without the ConvergenceWarning that a fixed step count always raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)
