"""TensorFlow Playground's input features of 2-D data: x₁, x₂, their squares, their product, their sines.

They travel with the logged model (NumPy only), so the model computes from raw (x₁, x₂) exactly
what it was trained on; the pipeline applies the same functions through scikit-learn's
``FunctionTransformer``.
"""

from __future__ import annotations

import numpy as np

CROSSES = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: np.square(X[:, 0]),
    "x2^2": lambda X: np.square(X[:, 1]),
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin(x1)": lambda X: np.sin(X[:, 0]),
    "sin(x2)": lambda X: np.sin(X[:, 1]),
}
"""Name (as in ``dataset.features``) → the feature, from raw points X of shape (n, 2)."""


def derive(X: np.ndarray, names: list[str]) -> np.ndarray:
    """The features ``names`` of raw 2-D points.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2)
    names : list of str
        Keys of :data:`CROSSES`.

    Returns
    -------
    ndarray of shape (n_samples, len(names)), float64
    """
    X = np.asarray(X, dtype=np.float64)
    out = np.empty((X.shape[0], len(names)))
    for j, name in enumerate(names):
        out[:, j] = CROSSES[name](X)
    return out
