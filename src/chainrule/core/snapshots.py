"""Snapshots of training: the parameters ``θ`` at chosen steps, and what each hidden neuron computes.

A :class:`Snapshots` handed to :func:`~.training.fit` as its ``callback`` keeps a copy of ``θ``
at every step asked for, step = iterations completed (0: the initial weights), and always the
last one reached — a stopping rule may end training before the last step asked for. It only
reads: training computes the same bits with it or without it. :meth:`Snapshots.model_at` gives
a copy of the model with a snapshot's weights, to draw the decision surface or the neurons with.
:func:`hidden_outputs` is what TensorFlow Playground draws inside each neuron: its output
``h = g(a)`` (eqs. 61–62 per layer) at every input.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import numpy as np

from . import backprop
from .base import design_matrix
from ._validation import check_X


class Snapshots:
    """Copies of ``model.theta`` at the steps ``steps`` (and at the last step reached).

    Parameters
    ----------
    model : LogisticRegression or MLP
        The model :func:`~.training.fit` trains (read, never written).
    steps : iterable of int
        Steps to keep, each the number of iterations completed; 0 is the initial weights.

    Attributes
    ----------
    theta : dict
        Step → copy of ``θ``, shape (n_params,), in step order; after training it ends with the
        last step reached.
    """

    def __init__(self, model, steps: Iterable[int]):
        self._model = model
        self._steps = {int(s) for s in steps}
        self.theta: dict[int, np.ndarray] = {0: model.theta.copy()} if 0 in self._steps else {}
        # The latest θ, overwritten each iteration (one copy of n_params values, in a buffer).
        self._latest = model.theta.copy()
        self._latest_step = 0

    def __call__(self, iteration: int, loss: float, val_loss) -> None:
        """``fit``'s callback: after iteration ``iteration`` (0-based), step ``iteration + 1``."""
        step = iteration + 1
        if step in self._steps:
            self.theta[step] = self._model.theta.copy()
        np.copyto(self._latest, self._model.theta)
        self._latest_step = step

    def finish(self) -> dict[int, np.ndarray]:
        """Add the last step reached, if it was not asked for, and return :attr:`theta`."""
        if self._latest_step not in self.theta:
            self.theta[self._latest_step] = self._latest.copy()
        return self.theta

    def model_at(self, step: int):
        """A copy of the model with the weights of snapshot ``step``."""
        at = copy.deepcopy(self._model)
        np.copyto(at.theta, self.theta[step])
        return at


def hidden_outputs(model, X) -> list[np.ndarray]:
    """The output of every hidden neuron at every row of ``X``: ``H_l = g(A_l)`` (eqs. 61–62).

    Parameters
    ----------
    model : MLP or LogisticRegression
    X : array_like of shape (n_samples, n_features)
        The model's inputs (as :meth:`predict_proba` takes them).

    Returns
    -------
    list of ndarray
        One per hidden layer, first layer first, of shape (n_samples, n_l); empty for logistic regression.
    """
    A = design_matrix(check_X(X, model.dtype, model.n_features))
    n = A.shape[0]
    ws = model.workspace(n)
    out = [np.empty((n, width), model.dtype) for width in model._widths]
    for rows in backprop.blocks(n, ws.rows):
        backprop.forward(model, A[rows], ws)  # the same arithmetic as training's forward pass
        for H, buffer in zip(out, ws.H):
            H[rows] = buffer[: rows.stop - rows.start]
    return out
