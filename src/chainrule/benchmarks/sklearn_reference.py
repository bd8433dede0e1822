"""scikit-learn configured to do exactly the core's arithmetic, for reference tests and benchmarks.

``MLPClassifier`` starting from the core model's weights, with the same hidden layers, output,
optimizer, schedule, batches (unshuffled) and stopping rule, performs the same updates as
:func:`chainrule.core.fit`. Where scikit-learn's defaults differ from the core's, this module
sets scikit-learn's side to the core's choice, and says so:

- the weights: scikit-learn draws its own (Glorot-uniform); ours are copied in (``warm_start``);
- stopping: off in the core unless asked for, always on in scikit-learn; it is switched off
  there (an unreachable ``n_iter_no_change``) unless the core's rule is scikit-learn's own;
- L2: scikit-learn's ``alpha`` is divided by each batch's size, the core's ``l2`` is not:
  ``alpha = l2 · batch_size``, exact when every batch is full.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from chainrule.core import MLP, Adam, Momentum
from chainrule.core.optimizers import get_optimizer

# scikit-learn's names for the core's hidden activations (leaky ReLU has no counterpart).
SKLEARN_ACTIVATION = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic"}

NEVER = np.iinfo(np.int32).max
"""An ``n_iter_no_change`` that is never reached: the core's default of no stopping rule."""


def _solver(optimizer) -> dict:
    opt = get_optimizer(optimizer)
    if isinstance(opt, Adam):
        return dict(solver="adam", beta_1=opt.beta_1, beta_2=opt.beta_2, epsilon=opt.epsilon)
    if isinstance(opt, Momentum):
        return dict(solver="sgd", momentum=opt.momentum, nesterovs_momentum=opt.nesterov)
    return dict(solver="sgd", momentum=0.0, nesterovs_momentum=False)


def reference_classifier(model: MLP, X, y, lr: float, iterations: int, batch_size: int | None = None, *,
                         optimizer="gd", schedule: str = "constant", power_t: float = 0.5,
                         n_iter_no_change: int | None = None, tol: float = 0.0, l2: float = 0.0,
                         validation_fraction: float | None = None) -> MLPClassifier:
    """An ``MLPClassifier`` starting from ``model``'s current weights, ready to ``fit(X, y)``.

    Parameters
    ----------
    model : MLP
        Supplies the architecture and the initial weights (copied, not shared). One activation
        for every hidden layer.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    lr, iterations, batch_size, optimizer, schedule, power_t, l2
        As for :func:`chainrule.core.fit`; ``batch_size`` None is the full batch.
    n_iter_no_change, tol : optional
        scikit-learn's stopping rule on the training loss (or on validation accuracy, with
        ``validation_fraction``); None: no stopping, as the core's default.
    validation_fraction : float, optional
        ``early_stopping=True`` with this held-out fraction: scikit-learn's
        ``train_test_split(X, y, test_size=validation_fraction, random_state=0, stratify=y)``
        for two classes (unstratified for more).

    Returns
    -------
    MLPClassifier
        Calling ``fit(X, y)`` on it runs up to ``iterations`` epochs from the model's weights.
    """
    if model.activation not in SKLEARN_ACTIVATION:
        raise ValueError(
            f"scikit-learn has no {model.activation!r} activation; "
            f"choose one of {sorted(SKLEARN_ACTIVATION)}"
        )
    batch = X.shape[0] if batch_size is None else batch_size
    clf = MLPClassifier(
        hidden_layer_sizes=model.hidden_widths,
        activation=SKLEARN_ACTIVATION[model.activation],
        alpha=l2 * batch,
        batch_size=batch,
        learning_rate=schedule,
        learning_rate_init=lr,
        power_t=power_t,
        shuffle=False,
        max_iter=1,
        tol=tol,
        n_iter_no_change=NEVER if n_iter_no_change is None else n_iter_no_change,
        early_stopping=validation_fraction is not None,
        validation_fraction=0.1 if validation_fraction is None else validation_fraction,
        warm_start=True,
        random_state=0,
        **_solver(optimizer),
    )
    # One step sets up the label binarizer and the layer bookkeeping; warm_start then keeps the
    # weights we put in place of the ones it drew, and the counters are reset to a first fit's.
    fit_quietly(clf, X, y)
    p, dtype = model.params, np.asarray(X).dtype
    L = len(model.hidden_widths)
    clf.coefs_ = [p[f"W{l}"].T.astype(dtype) for l in range(1, L + 1)] + [p["w"].T.reshape(p["w"].shape[-1], -1).astype(dtype)]
    clf.intercepts_ = [p[f"b{l}"].astype(dtype) for l in range(1, L + 1)] + [p["b"].reshape(-1).astype(dtype)]
    clf._best_coefs = [c.copy() for c in clf.coefs_]
    clf._best_intercepts = [b.copy() for b in clf.intercepts_]
    clf.max_iter, clf.t_, clf.n_iter_, clf._no_improvement_count = iterations, 0, 0, 0
    clf.loss_curve_ = []
    clf.best_loss_ = None if clf.early_stopping else np.inf
    clf.validation_scores_ = [] if clf.early_stopping else None
    clf.best_validation_score_ = -np.inf if clf.early_stopping else None
    return clf


def fit_quietly(clf: MLPClassifier, X, y) -> MLPClassifier:
    """``clf.fit(X, y)`` without the ConvergenceWarning that a fixed step count always raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)
