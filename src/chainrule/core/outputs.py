"""The output layer, one row per kind: a sigmoid unit for two classes, a softmax for K.

Both pair their activation with its cross-entropy so that the error at the logits is
``δ = ŷ − y`` (eq. 16): that is all backpropagation needs from the output (eq. 65). A row says
how labels are encoded as targets, how the loss and ``δ`` come from the logits, how the logits
become probabilities and labels, and which buffers that takes. Adding an output is adding a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import sigmoid
from .losses import categorical_loss_and_delta, categorical_loss_sum, loss_and_delta, loss_sum, softmax


@dataclass(frozen=True)
class Output:
    """One kind of output layer.

    Attributes
    ----------
    name : str
    encode : callable ``(y, n_classes, dtype) -> T``
        Labels 0..K−1 of shape (n,) as the targets the loss reads: signs ``1 − 2y`` of shape (n,)
        for the sigmoid unit, one-hot rows of shape (n, K) for the softmax.
    loss_sum : callable ``(Z, T, ws) -> float``
        Σ of the per-example losses; leaves what :attr:`count_correct` reads in ``ws``.
    loss_and_delta : callable ``(Z, T, scale, delta, ws) -> float``
        Σ of the losses, and ``scale · (ŷ − y)`` written into ``delta``.
    count_correct : callable ``(Z, T, ws) -> int``
        Examples whose predicted label is their label, right after :attr:`loss_sum`.
    proba : callable ``Z -> ndarray``
        (n,) probabilities of label 1, or (n, K) class probabilities.
    predict : callable ``Z -> ndarray``
        Labels of int64, shape (n,).
    buffers : callable ``(ws, n, n_classes, dtype) -> None``
        Adds the scratch arrays of a batch of ``n`` rows to ``ws``.
    """

    name: str
    encode: Callable
    loss_sum: Callable
    loss_and_delta: Callable
    count_correct: Callable
    proba: Callable
    predict: Callable
    buffers: Callable


def _binary_predict(z):
    return (z >= 0).astype(np.int64)


def _softmax_predict(Z):
    return np.argmax(Z, axis=1).astype(np.int64)


def _signs(y, n_classes, dtype):
    return (1 - 2 * y).astype(dtype)


def _binary_correct(z, sign, ws) -> int:
    # ws.m = s·z with s = 1 − 2y: label 1 is predicted where z ≥ 0, so an example is right
    # where m < 0, or m = 0 with y = 1 (s < 0).
    m, flag = ws.m[: z.shape[0]], ws.flag[: z.shape[0]]
    right = int(np.count_nonzero(np.less(m, 0, out=flag)))
    if np.equal(m, 0, out=flag).any():  # rare: a logit of exactly 0
        right += int(np.count_nonzero(flag & (sign < 0)))
    return right


def _binary_buffers(ws, n, n_classes, dtype):
    for name in ("z", "dz", "m", "losses", "scratch"):
        setattr(ws, name, np.empty(n, dtype))
    ws.flag = np.empty(n, bool)


def _one_hot(y, n_classes, dtype):
    Y = np.zeros((y.shape[0], n_classes), dtype, order="F")  # laid out as the logits (_softmax_buffers)
    Y[np.arange(y.shape[0]), y.astype(np.intp)] = 1
    return Y


def _softmax_correct(Z, Y, ws) -> int:
    # gap = max − the label's logit is exactly 0 where the label is the arg max (ties aside)
    n = Z.shape[0]
    return n - int(np.count_nonzero(ws.gap[:n]))


def _softmax_buffers(ws, n, n_classes, dtype):
    # Column-major (one class after another): the softmax's maxima and sums over a row's K logits
    # then run as K − 1 elementwise passes over whole columns instead of a short reduction per row,
    # which halves the loss and δ at K = 10 (≈ 160 → 80 µs per block of 1,016 rows), and the logits'
    # product Zᵀ = [b | w] [1, H]ᵀ writes a wide (K, n) matrix, faster than a narrow (n, K) one.
    ws.z = np.empty((n, n_classes), dtype, order="F")
    ws.E = np.empty((n, n_classes), dtype, order="F")  # e^{Z − M}, then δ in place
    for name in ("mx", "s", "gap", "logs"):
        setattr(ws, name, np.empty(n, dtype))


OUTPUTS: dict[str, Output] = {
    "sigmoid": Output(
        "sigmoid", _signs, loss_sum, loss_and_delta, _binary_correct,
        proba=sigmoid, predict=_binary_predict, buffers=_binary_buffers,
    ),
    "softmax": Output(
        "softmax", _one_hot, categorical_loss_sum, categorical_loss_and_delta, _softmax_correct,
        proba=softmax, predict=_softmax_predict, buffers=_softmax_buffers,
    ),
}


def output_for(n_classes: int) -> Output:
    """The sigmoid unit for two classes (the seed's eq. 29), the softmax for more."""
    return OUTPUTS["sigmoid" if n_classes == 2 else "softmax"]
