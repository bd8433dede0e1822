"""Cross-entropy computed from logits, and its gradient ``ŷ − y`` (eq. 16): binary (seed eq. 1)
for one sigmoid output unit, categorical for a softmax over K classes.

The seed's listing 2 clips ``ŷ`` to ``[1e-15, 1 - 1e-15]`` before taking logs, which
caps every example's loss at ≈ 34.5 and still overflows ``np.exp`` on the way to ``ŷ``.
Here the loss is written in the logit ``z`` with the label folded into a sign:

    s = 1 − 2y ∈ {+1, −1},   m = s·z,   L_i = −[y log ŷ + (1 − y) log(1 − ŷ)] = log(1 + e^{m})

(for y = 1 that is ``−log σ(z) = log(1 + e^{−z})``; for y = 0, ``−log(1 − σ(z)) = log(1 + e^{z})``).
``np.logaddexp(0, m)`` evaluates ``log(1 + e^{m})`` without overflow and without
cancellation, so the loss is finite and exact for any finite logit.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_y


def softplus(m, out=None, scratch=None):
    """``log(1 + e^m)`` elementwise, as ``max(m, 0) + log1p(e^{−|m|})``.

    Never overflows (``e^{−|m|} ≤ 1``), keeps full relative precision on both tails, and
    is exact at large ``|m|`` (``softplus(1e4) = 1e4``, ``softplus(−1e4) = 0``). It is
    also several times faster than ``np.logaddexp(0, m)``, which NumPy does not vectorise.

    Parameters
    ----------
    m : ndarray
    out, scratch : ndarray of the same shape as ``m``, optional
        Result and work buffers (allocated when not given); neither may alias ``m``.

    Returns
    -------
    ndarray
        ``out``.
    """
    if out is None:
        out = np.empty_like(m, dtype=np.result_type(m, np.float32))
    if scratch is None:
        scratch = np.empty_like(out)
    np.abs(m, out=scratch)
    np.negative(scratch, out=scratch)
    # e^{−|m|} is subnormal past |m| ≈ 708, and so is its log1p: both are exact enough, but some
    # CPUs' libm (seen on AMD here, not on Intel) raise the underflow flag in log1p as well as in exp.
    with np.errstate(under="ignore"):
        np.exp(scratch, out=scratch)
        np.log1p(scratch, out=scratch)
    np.maximum(m, 0.0, out=out)
    out += scratch
    return out


def binary_cross_entropy(y, logits) -> float:
    """Mean binary cross-entropy (seed eq. 1, averaged as in listing 2) from logits.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        True labels, each 0 or 1.
    logits : array_like of shape (n_samples,)
        ``z = w^T h + b``; the predicted probability is ``σ(z)``.

    Returns
    -------
    float
        ``mean_i log(1 + e^{(1 − 2 y_i) z_i})``; finite for every finite logit.
    """
    z = np.asarray(logits)
    if z.ndim != 1 or z.dtype.kind not in "biuf":
        raise ValueError(f"logits must be a 1-D numeric array; got shape {z.shape}, dtype {z.dtype}")
    y = check_y(y, z.shape[0], np.result_type(z.dtype, np.float32))
    losses = softplus((1 - 2 * y) * z)
    # Every loss can be subnormal (z ≲ −708 with y = 0): dividing their sum by n is then inexact
    # and raises the underflow flag, though the mean is as exact as it can be.
    with np.errstate(under="ignore"):
        return float(np.mean(losses))


def loss_sum(z, sign, ws) -> float:
    """Sum over a batch of the per-example losses ``log(1 + e^{s·z})`` (eq. 1).

    Parameters
    ----------
    z : ndarray of shape (n,)
        Logits.
    sign : ndarray of shape (n,)
        ``s = 1 − 2y`` for the batch's labels.
    ws : namespace
        Scratch buffers ``m``, ``losses``, ``scratch`` of shape (≥ n,).

    Returns
    -------
    float
    """
    n = z.shape[0]
    m = np.multiply(sign, z, out=ws.m[:n])
    return float(softplus(m, ws.losses[:n], ws.scratch[:n]).sum())


def loss_and_delta(z, sign, scale, delta, ws) -> float:
    """Sum of per-example losses, and ``scale · (ŷ − y)`` written into ``delta``.

    The training loop's output layer: one pass over the logits gives both the loss
    for the history and the error signal for backpropagation (no recomputation).

    Parameters
    ----------
    z : ndarray of shape (n,)
        Logits of the batch.
    sign : ndarray of shape (n,)
        ``s = 1 − 2y`` for the batch's labels.
    scale : float
        Factor folded into the error signal (``lr / n`` in training, so that the
        gradients come out already multiplied by the step size of eq. 20).
    delta : ndarray of shape (n,)
        Output buffer; receives ``scale · (ŷ − y)``, i.e. ``scale · ∂L_i/∂z_i``.
    ws : namespace
        Scratch buffers ``m``, ``losses``, ``scratch`` of shape (≥ n,).

    Returns
    -------
    float
        ``Σ_i L_i`` over the batch (not the mean).

    Notes
    -----
    ``ŷ − y`` (eq. 16 — the sigmoid's derivative cancels the loss's denominators) is
    evaluated as ``s · σ(m)`` with ``m = s·z`` and ``σ(m) = e^{m − log(1 + e^{m})}``: it
    reuses the per-example losses already computed, never overflows, and keeps full
    relative precision even where ``ŷ`` is within rounding of ``y``.
    """
    n = z.shape[0]
    total = loss_sum(z, sign, ws)  # eq. 1, per example, summed
    np.subtract(ws.m[:n], ws.losses[:n], out=delta)
    with np.errstate(under="ignore"):
        np.exp(delta, out=delta)  # σ(m)
    delta *= sign
    delta *= scale
    return total


def log_softmax_parts(Z, mx, out):
    """``Z − max`` row by row, exponentiated, and the rows' sums: the pieces of a stable softmax.

    ``softmax(Z)_k = e^{Z_k − M} / Σ_j e^{Z_j − M}`` with ``M = max_j Z_j`` for each row: every
    exponent is ≤ 0, so nothing overflows, and the largest term is exactly 1, so the sum lies in
    [1, K] and its log loses nothing (the log-sum-exp trick).

    Parameters
    ----------
    Z : ndarray of shape (n, K)
        Logits.
    mx : ndarray of shape (n,)
        Receives the row maxima ``M``.
    out : ndarray of shape (n, K)
        Receives ``e^{Z − M}`` (may not alias ``Z``).

    Returns
    -------
    ndarray of shape (n, K)
        ``out``.
    """
    np.max(Z, axis=1, out=mx)
    np.subtract(Z, mx[:, None], out=out)
    with np.errstate(under="ignore"):  # e^{−large} is 0, as it should be
        np.exp(out, out=out)
    return out


def softmax(Z) -> np.ndarray:
    """Class probabilities ``e^{Z_k} / Σ_j e^{Z_j}`` for each row, without overflow.

    Parameters
    ----------
    Z : ndarray of shape (n, K)

    Returns
    -------
    ndarray of shape (n, K)
        Rows sum to 1 (to rounding).
    """
    Z = np.asarray(Z)
    E = log_softmax_parts(Z, np.empty(Z.shape[0], Z.dtype), np.empty_like(Z))
    E /= E.sum(axis=1, keepdims=True)
    return E


def categorical_loss_sum(Z, Y, ws) -> float:
    """Sum over a batch of ``L_i = log Σ_k e^{Z_ik} − Z_{i,y_i}`` (categorical cross-entropy).

    This is eq. 1 for K classes: ``−Σ_k y_k log ŷ_k`` with ``ŷ = softmax(z)`` and a one-hot
    ``y``, written in the logits. Each example's loss is ``(M_i − Z_{i,y_i}) + log s_i``
    (``s_i ∈ [1, K]`` from :func:`log_softmax_parts`), a sum of two non-negative terms, so it is
    exact even when both the logit and the maximum are 1e4 and the loss is 0.

    Parameters
    ----------
    Z : ndarray of shape (n, K)
        Logits.
    Y : ndarray of shape (n, K)
        One-hot labels.
    ws : namespace
        Buffers ``E`` (≥ n, K) and ``mx``, ``s``, ``gap``, ``logs`` (≥ n,); left holding
        ``E = e^{Z − M}``, ``s = Σ_k E`` and ``gap = M − Z_{i,y_i}`` for the caller.

    Returns
    -------
    float
    """
    n = Z.shape[0]
    mx, s, gap = ws.mx[:n], ws.s[:n], ws.gap[:n]
    E = log_softmax_parts(Z, mx, ws.E[:n])
    np.sum(E, axis=1, out=s)
    # Z_{i,y_i} exactly: the one-hot row picks one logit, the other products are exact zeros.
    np.einsum("ik,ik->i", Z, Y, out=gap)
    np.subtract(mx, gap, out=gap)  # M − Z_{i,y_i} ≥ 0; exactly 0 where the label's logit is the largest
    total = float(gap.sum())
    total += float(np.log(s, out=ws.logs[:n]).sum())
    return total


def categorical_loss_and_delta(Z, Y, scale, delta, ws) -> float:
    """Sum of the categorical losses, and ``scale · (ŷ − y)`` written into ``delta``.

    The same output error as the sigmoid unit's (eq. 16): with ``ŷ = softmax(z)`` and
    categorical cross-entropy, ``∂L_i/∂z_ik = ŷ_ik − y_ik``, the softmax's Jacobian cancelling
    against the loss's ``1/ŷ`` exactly as the sigmoid's derivative does in eq. 16.

    Parameters
    ----------
    Z : ndarray of shape (n, K)
    Y : ndarray of shape (n, K)
        One-hot labels.
    scale : float
        Factor folded into the error signal (``1/n``, times the step for plain gradient descent).
    delta : ndarray of shape (n, K)
        Receives ``scale · (ŷ − y)``; may be ``ws.E[:n]``.
    ws : namespace
        As for :func:`categorical_loss_sum`.

    Returns
    -------
    float
        ``Σ_i L_i`` over the batch (not the mean).
    """
    n = Z.shape[0]
    total = categorical_loss_sum(Z, Y, ws)
    np.divide(ws.E[:n], ws.s[:n, None], out=delta)  # ŷ = softmax(z)
    delta -= Y
    delta *= scale
    return total
