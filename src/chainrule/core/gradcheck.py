"""Numerical gradients by central differences: the seed's Exercise 1, for any model."""

from __future__ import annotations

import numpy as np


def numerical_gradients(model, X, y, eps: float = 1e-5, l2: float = 0.0, l1: float = 0.0) -> dict[str, np.ndarray]:
    """Estimate ``∂L/∂θ`` for every parameter by central differences.

    ``∂L/∂θ_k ≈ (L(θ + ε e_k) − L(θ − ε e_k)) / 2ε``, one parameter at a time; the
    truncation error is O(ε²).

    Parameters
    ----------
    model : object
        Anything with a ``params`` mapping of arrays (perturbed in place, then restored)
        and a ``loss(X, y, l2=..., l1=...)`` method.
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
    eps : float, default 1e-5
        Half the step. In float32 use about 1e-2 to 1e-3.
    l2, l1 : float, default 0
        Passed to ``model.loss``.

    Returns
    -------
    dict
        Same keys and shapes as ``model.params``, in float64.
    """
    grads = {}
    for name, param in model.params.items():
        grad = np.zeros(param.shape, dtype=np.float64)
        for index in np.ndindex(param.shape):
            original = param[index].copy()
            try:
                param[index] = original + eps
                up, loss_up = param[index].copy(), model.loss(X, y, l2=l2, l1=l1)
                param[index] = original - eps
                down, loss_down = param[index].copy(), model.loss(X, y, l2=l2, l1=l1)
            finally:
                param[index] = original
            # Divide by the step actually taken: in float32, θ ± ε is rounded.
            grad[index] = (loss_up - loss_down) / (float(up) - float(down))
        grads[name] = grad
    return grads


def relative_error(analytic, numerical) -> np.ndarray:
    """Elementwise ``|a − n| / max(1e-8, |a| + |n|)`` (as in CS231n's gradient checks)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numerical, dtype=np.float64)
    return np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))
