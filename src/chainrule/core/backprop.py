"""Forward and backward passes of a :class:`~.base.Network` over one batch (eqs. 61–71, per layer).

The arithmetic of backpropagation lives here, beside the buffers it works in: :func:`workspace`
allocates them once for a batch size, :func:`forward` computes the logits layer by layer keeping
what the backward pass needs, :func:`backward` turns the output error ``δ = ŷ − y`` (eq. 65)
into the gradient of every block of ``θ``, top layer first. Where they differ from the textbook
order of operations they say what it saves.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np


def workspace(net, n: int) -> SimpleNamespace:
    """Every buffer a batch of up to ``n`` rows needs, allocated once.

    ``grad`` (laid out like ``θ``) with its blocks ``grad_blocks`` and named views
    ``grad_named``; per hidden layer l, ``H[l]`` (its output, beside a column of ones
    ``Ha[l]`` where a weight matrix reads it) and ``slope[l]`` (``g'(A_l)``, then ``∂L/∂A_l``);
    ``dH`` for ``∂L/∂H_l``; the output's own buffers (:mod:`.outputs`).
    """
    ws = SimpleNamespace(grad=np.empty_like(net._theta))
    ws.grad_blocks = net._split(ws.grad)
    ws.grad_named = net._named(ws.grad_blocks)
    net._output.buffers(ws, n, net.n_classes, net.dtype)
    L, K = len(net._widths), net.n_classes
    ws.H, ws.Ha, ws.slope = [None] * L, [None] * L, [None] * L
    for l, width in enumerate(net._widths):
        if l < L - 1 or K > 2:  # read by a weight matrix: keep it beside a column of ones
            ws.Ha[l] = np.empty((n, 1 + width), net.dtype)
            ws.Ha[l][:, 0] = 1.0
            ws.H[l] = ws.Ha[l][:, 1:]
        else:  # read by the seed's w and b
            ws.H[l] = np.empty((n, width), net.dtype)
        ws.slope[l] = np.empty((n, width), net.dtype)
    if L == 1 and K == 2:
        ws.dzA = np.empty((n, 1 + net.n_features), net.dtype)
    elif L:
        ws.dH = np.empty(n * max(net._widths), net.dtype)
    return ws


def forward(net, A, ws) -> np.ndarray:
    """Logits of the batch (eqs. 61–63 layer by layer), keeping in ``ws`` what backward needs."""
    n = A.shape[0]
    inputs = A
    for l, g in enumerate(net._acts):
        H = np.matmul(inputs, net._blocks[f"W{l + 1}a"].T, out=ws.H[l][:n])  # eq. 61: A_l
        g.evaluate(H, ws.slope[l][:n])  # eq. 62: H_l = g(A_l) in place; g'(A_l) beside it
        inputs = ws.Ha[l][:n] if ws.Ha[l] is not None else H
    if "Wa" in net._blocks:  # K logits per row, bias through the column of ones
        return np.matmul(inputs, net._blocks["Wa"].T, out=ws.z[:n])
    if "bw" in net._blocks:  # logistic regression: z = A [b, w]ᵀ = X w + b
        return np.matmul(A, net._blocks["bw"], out=ws.z[:n])
    z = np.matmul(inputs, net._blocks["w"], out=ws.z[:n])  # eq. 63: z = wᵀ h + b
    z += net._blocks["b"]
    return z


def backward(net, A, delta, ws) -> None:
    """``ws.grad`` from the output error ``delta`` (eq. 65, already scaled), top layer first."""
    n, L = A.shape[0], len(net._widths)
    grads = ws.grad_blocks
    inputs = [A] + [ws.Ha[l][:n] if ws.Ha[l] is not None else None for l in range(L)]
    if "bw" in grads:  # eq. 18: [∂L/∂b, ∂L/∂w] = Aᵀ (ŷ − y)   (delta carries the 1/N)
        np.matmul(delta, A, out=grads["bw"])
        return
    if "Wa" in grads:  # eqs. 66–67 for K outputs: [∂b | ∂w] = δᵀ [1, H_L]
        np.matmul(delta.T, inputs[L], out=grads["Wa"])
        if L:  # eqs. 68–69: ∂L/∂A_L = (δ w) ⊙ g'(A_L)
            _to_layer_below(net, delta, net.params["w"], L - 1, n, ws)
    else:
        np.sum(delta, out=grads["b"])  # eq. 66
        np.matmul(delta, ws.H[L - 1][:n], out=grads["w"])  # eq. 67: Σ_i δ_i h_i
        if L == 1:
            _seed_hidden_gradient(net, A, delta, ws)
            return
        # eqs. 68–69 for one output unit: ∂L/∂A_L = δ wᵀ ⊙ g'(A_L)
        dA = ws.slope[L - 1][:n]
        dA *= net._blocks["w"]
        dA *= delta[:, None]
    for l in range(L, 0, -1):
        dA = ws.slope[l - 1][:n]  # ∂L/∂A_l
        np.matmul(dA.T, inputs[l - 1], out=grads[f"W{l}a"])  # eqs. 70–71: [∂b_l | ∂W_l] = ∂A_lᵀ [1, H_{l−1}]
        if l > 1:
            _to_layer_below(net, dA, net.params[f"W{l}"], l - 2, n, ws)


def _to_layer_below(net, dA, W, below: int, n: int, ws) -> None:
    """``∂L/∂A_{below} = (∂L/∂A_above · W) ⊙ g'(A_below)`` (eqs. 68–69), into ``ws.slope``."""
    width = net._widths[below]
    dH = np.matmul(dA, W, out=ws.dH[: n * width].reshape(n, width))  # eq. 68: ∂L/∂H
    ws.slope[below][:n] *= dH  # eq. 69


def _seed_hidden_gradient(net, A, dz, ws) -> None:
    """The seed's network (one hidden layer, one output unit), eqs. 68–71 without ∂L/∂A1.

    Row i of ``∂L/∂A1`` is ``δ_i (w ⊙ g'(a1_i))``, so ``w`` factors out of the sum over
    examples: ``[∂b1 | ∂W1] = diag(w) · g'(A1)ᵀ · (δ ⊙ [1, X])``. The N×H matrix ``∂L/∂A1``
    is never formed: two passes over N×H memory saved, same products.
    """
    n = A.shape[0]
    grad = ws.grad_blocks["W1a"]
    dzA = np.multiply(A, dz[:, None], out=ws.dzA[:n])
    np.matmul(ws.slope[0][:n].T, dzA, out=grad)
    grad *= net._blocks["w"][:, None]
