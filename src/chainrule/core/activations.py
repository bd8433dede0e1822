"""Activation functions of the seed's Appendix B, each beside its derivative.

Every activation is one row of :data:`ACTIVATIONS`: a single function that turns the
pre-activation ``a`` into ``h = g(a)`` in place and writes the slope ``g'(a)`` beside it,
the forward formula next to its derivative as in Appendix B. Backpropagation (eq. 69)
needs exactly these two arrays. Adding an activation is adding one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._validation import lookup

LEAKY_RELU_SLOPE = 0.01
"""Slope of leaky ReLU for negative inputs (seed, Appendix B: ``max(0.01 z, z)``)."""


def sigmoid(z, out=None):
    """Logistic sigmoid ``σ(z) = 1 / (1 + e^{-z})`` (seed eq. 3), without overflow.

    Parameters
    ----------
    z : array_like of any shape
        Logits.
    out : ndarray, optional
        Where to write the result (may be ``z`` itself).

    Returns
    -------
    ndarray of the same shape as ``z``
        Values in [0, 1]: exactly 1 once ``1 + e^{-z}`` rounds to 1 (z ≳ 37 in float64)
        and exactly 0 once ``e^{z}`` underflows (z ≲ −745 in float64, ≲ −104 in float32).

    Notes
    -----
    The naive ``1 / (1 + np.exp(-z))`` overflows for z ≲ -710. Both branches below use
    ``e = e^{-|z|} ∈ (0, 1]``: ``σ(z) = 1 / (1 + e)`` for z ≥ 0 and ``e / (1 + e)`` for
    z < 0, so nothing overflows and each branch keeps full relative precision.
    """
    z = np.asarray(z)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        return np.divide(np.where(z >= 0, 1.0, e), 1.0 + e, out=out)


def _sigmoid(a, slope):
    sigmoid(a, out=a)  # eq. 3
    np.subtract(1.0, a, out=slope)
    slope *= a  # eq. 10: σ'(a) = σ(a)(1 − σ(a))


def _tanh(a, slope):
    np.tanh(a, out=a)  # Appendix B
    np.multiply(a, a, out=slope)
    np.subtract(1.0, slope, out=slope)  # Appendix B: 1 − tanh²(a)


def _relu(a, slope):
    np.greater(a, 0, out=slope)  # eq. 46: 1 if a > 0 else 0
    a *= slope  # eq. 25: max(0, a) = a · 1[a > 0]


def _leaky_relu(a, slope):
    np.greater(a, 0, out=slope)  # Appendix B: 1 if a > 0 else 0.01
    slope *= 1.0 - LEAKY_RELU_SLOPE
    slope += LEAKY_RELU_SLOPE
    a *= slope  # Appendix B: max(0.01 a, a) = a · g'(a)


@dataclass(frozen=True)
class Activation:
    """One hidden-layer nonlinearity ``h = g(a)`` together with its derivative ``g'(a)``.

    Attributes
    ----------
    name : str
        Name used in configs (``model.activation``).
    evaluate : callable ``(a, slope) -> None``
        Overwrites ``a`` with ``g(a)`` and writes ``g'(a)`` into ``slope`` (same shape
        and dtype). Forward and backward are computed together because each is cheapest
        from the other's intermediate: ``relu(a) = a · relu'(a)``, ``tanh' = 1 − tanh²``.
    """

    name: str
    evaluate: Callable[[np.ndarray, np.ndarray], None]

    def _both(self, a):
        a = np.array(a, dtype=np.float64 if np.asarray(a).dtype.kind != "f" else None)
        slope = np.empty_like(a)
        self.evaluate(a, slope)
        return a, slope

    def __call__(self, a):
        """Return ``g(a)`` elementwise.

        Parameters
        ----------
        a : array_like
            Pre-activations.

        Returns
        -------
        ndarray of the same shape as ``a``
        """
        return self._both(a)[0]

    def derivative(self, a):
        """Return ``g'(a)`` elementwise (the seed's ``relu_derivative(z)`` and kin).

        Parameters
        ----------
        a : array_like
            Pre-activations.

        Returns
        -------
        ndarray of the same shape as ``a``
        """
        return self._both(a)[1]


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", _sigmoid),
    "tanh": Activation("tanh", _tanh),
    "relu": Activation("relu", _relu),
    "leaky_relu": Activation("leaky_relu", _leaky_relu),
}


def get_activation(name: str) -> Activation:
    """Look an activation up by name.

    Raises
    ------
    ValueError
        If ``name`` is not a key of :data:`ACTIVATIONS`; the message lists the valid names.
    """
    return lookup(ACTIVATIONS, "activation", name)
