"""Binary cross-entropy (seed eq. 1) computed from logits, and its gradient (eq. 16).

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
    return float(np.mean(softplus((1 - 2 * y) * z)))


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
