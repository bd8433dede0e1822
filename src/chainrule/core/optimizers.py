"""Optimizers: how a gradient becomes a step of ``θ`` — eq. 20's plain descent, and beyond it.

Each is a small object whose state (flat vectors as long as ``θ``) is allocated once by
:meth:`start` and updated in place. The formulas are scikit-learn's (``sgd`` with
``momentum``/``nesterovs_momentum``, and ``adam``), operation for operation, so a reference
test can demand agreement to 1e-10. Adding an optimizer is adding a class and a row of
:data:`OPTIMIZERS`.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_float, lookup


class GradientDescent:
    """``θ ← θ − η ∇L(θ)`` (eq. 20), the seed's update.

    The model folds ``η`` into the error signal (:attr:`folds_step`), so the gradient it
    hands over is already ``η ∇L`` and the update is one subtraction — the seed's arithmetic,
    to the last bit.
    """

    name = "gd"
    folds_step = True

    def start(self, theta: np.ndarray) -> None:
        """Nothing to keep between steps."""

    def step(self, theta: np.ndarray, grad: np.ndarray, lr: float) -> None:
        theta -= grad  # eq. 20; grad already holds η · ∇L

    def __repr__(self):
        return "GradientDescent()"


class Momentum:
    """Heavy-ball momentum, or Nesterov's: scikit-learn's ``sgd`` solver.

    ``v ← μ v − η g``; the step is ``v`` — or, with Nesterov, ``μ v − η g`` from the new ``v``.

    Parameters
    ----------
    momentum : float in [0, 1), default 0.9
        ``μ``.
    nesterov : bool, default False
    """

    folds_step = False

    def __init__(self, momentum: float = 0.9, nesterov: bool = False):
        self.momentum = _unit_interval("momentum", momentum)
        self.nesterov = bool(nesterov)
        self.name = "nesterov" if self.nesterov else "momentum"

    def start(self, theta: np.ndarray) -> None:
        self.velocity = np.zeros_like(theta)
        self._lr_g = np.empty_like(theta)
        self._delta = np.empty_like(theta) if self.nesterov else None

    def step(self, theta: np.ndarray, grad: np.ndarray, lr: float) -> None:
        v, lr_g = self.velocity, self._lr_g
        np.multiply(grad, lr, out=lr_g)  # η g
        v *= self.momentum
        v -= lr_g  # v ← μ v − η g
        if self.nesterov:
            np.multiply(v, self.momentum, out=self._delta)
            self._delta -= lr_g  # μ v − η g, with the new v
            theta += self._delta
        else:
            theta += v

    def __repr__(self):
        return f"Momentum(momentum={self.momentum!r}, nesterov={self.nesterov})"


class Adam:
    """Adam (Kingma & Ba, 2015) in scikit-learn's formulation.

    ``t ← t + 1``, ``m ← β1 m + (1 − β1) g``, ``v ← β2 v + (1 − β2) g²``, and the step
    ``−η_t m / (√v + ε)`` with ``η_t = η √(1 − β2^t) / (1 − β1^t)``: the bias corrections are
    folded into the step size rather than applied to ``m`` and ``v`` (the textbook ``m̂ / (√v̂ + ε)``
    differs in where ``ε`` enters), as scikit-learn does.

    Parameters
    ----------
    beta_1, beta_2 : float in [0, 1), defaults 0.9 and 0.999
    epsilon : float > 0, default 1e-8
    """

    name = "adam"
    folds_step = False

    def __init__(self, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8):
        self.beta_1 = _unit_interval("beta_1", beta_1)
        self.beta_2 = _unit_interval("beta_2", beta_2)
        self.epsilon = check_float("epsilon", epsilon, positive=True)

    def start(self, theta: np.ndarray) -> None:
        self.t = 0
        self.m = np.zeros_like(theta)
        self.v = np.zeros_like(theta)
        self._a = np.empty_like(theta)
        self._b = np.empty_like(theta)

    def step(self, theta: np.ndarray, grad: np.ndarray, lr: float) -> None:
        b1, b2, m, v, a, b = self.beta_1, self.beta_2, self.m, self.v, self._a, self._b
        self.t += 1
        m *= b1
        m += np.multiply(grad, 1 - b1, out=a)  # m ← β1 m + (1 − β1) g
        v *= b2
        np.multiply(grad, grad, out=a)
        a *= 1 - b2
        v += a  # v ← β2 v + (1 − β2) g²
        lr_t = lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        np.sqrt(v, out=a)
        a += self.epsilon
        np.multiply(m, -lr_t, out=b)
        b /= a
        theta += b  # −η_t m / (√v + ε)

    def __repr__(self):
        return f"Adam(beta_1={self.beta_1!r}, beta_2={self.beta_2!r}, epsilon={self.epsilon!r})"


def _unit_interval(name: str, value) -> float:
    value = check_float(name, value, positive=False)
    if value >= 1:
        raise ValueError(f"{name} must be in [0, 1); got {value}")
    return value


OPTIMIZERS = {
    "gd": GradientDescent,
    "momentum": Momentum,
    "nesterov": lambda: Momentum(nesterov=True),
    "adam": Adam,
}
"""Optimizer names → a constructor with scikit-learn's defaults (μ = 0.9, β1 = 0.9, β2 = 0.999, ε = 1e-8)."""


def get_optimizer(optimizer):
    """An optimizer object: a name of :data:`OPTIMIZERS`, or an object with ``start`` and ``step``."""
    if hasattr(optimizer, "start") and hasattr(optimizer, "step") and not isinstance(optimizer, type):
        return optimizer
    return lookup(OPTIMIZERS, "optimizer", optimizer)()
