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

BLOCK_BYTES = 2**20
"""Bytes per layer buffer of a block of rows: the one performance trick of forward and backward.

The gradient over a batch is a sum over its rows, so a batch is worked through in blocks of
rows, each block's gradient added to the total. A block holds at most this much of its widest
layer (1 MiB: 131,072 values in float64, 262,144 in float32), so a layer's intermediates stay in
the CPU's cache between the elementwise passes over them instead of streaming through memory at
each one — at 20,000 × 20 with H = 64 an iteration takes about half the time of the whole batch
at once — and the workspace holds one block, not the batch. Counted in bytes, not values: a
float32 block of as many rows as a float64 one would pay each block's fixed cost (some twenty
NumPy calls) twice as often for the same data (``make bench``'s 10-class float32 row: 14.2 ms per
iteration in blocks of 512 KiB, 13.5 ms in blocks of 1 MiB). A batch of at most one block is
computed exactly as without blocking — the seed's own setups (≤ 100 rows) bit for bit.
"""


def block_rows(net) -> int:
    """Rows per block for ``net``: :data:`BLOCK_BYTES` over its widest layer (its input counted)."""
    widest = 1 + max(net.n_features, *net._widths, net.n_classes)
    return max(1, BLOCK_BYTES // (np.dtype(net.dtype).itemsize * widest))


def blocks(n: int, rows: int):
    """Slices of ``range(n)`` of ``rows`` rows each (the last may be shorter)."""
    return (slice(start, min(start + rows, n)) for start in range(0, n, rows))


def workspace(net, n: int) -> SimpleNamespace:
    """Every buffer a batch of up to ``n`` rows needs, allocated once, for one block of rows.

    ``rows`` (rows per block: ``min(n, block_rows(net))``); ``grad`` (laid out like ``θ``) with its blocks
    ``grad_blocks`` and named views ``grad_named``; per hidden layer l, ``H[l]`` (its output)
    and ``slope[l]`` (``g'(A_l)``, then ``∂L/∂A_l``); ``dH`` for ``∂L/∂H_l``; the output's own
    buffers (:mod:`.outputs`).

    Where a weight matrix reads ``H[l]`` it is the view ``Ha[l][:, 1:]`` beside a column of ones,
    and ``slope[l]`` the view ``slopea[l][:, 1:]`` of a buffer of the same shape: the
    elementwise steps then run over the whole contiguous buffers (one flat loop; on the
    column-sliced views NumPy loops row by row, 2–3× slower) and the ones are put back after.
    """
    n_batch, n = n, min(n, block_rows(net))
    ws = SimpleNamespace(rows=n, grad=np.empty_like(net._theta))
    ws.grad_blocks = net._split(ws.grad)
    ws.grad_named = net._named(ws.grad_blocks)
    if n_batch > n:  # one block's share of the gradient, before it is added to ``grad``
        ws.part = np.empty_like(net._theta)
        ws.part_blocks = net._split(ws.part)
    net._output.buffers(ws, n, net.n_classes, net.dtype)
    L, K = len(net._widths), net.n_classes
    ws.H, ws.Ha, ws.slope, ws.slopea = [None] * L, [None] * L, [None] * L, [None] * L
    for l, width in enumerate(net._widths):
        if l < L - 1 or K > 2:  # read by a weight matrix: keep it beside a column of ones
            ws.Ha[l] = np.empty((n, 1 + width), net.dtype)
            ws.Ha[l][:, 0] = 1.0
            ws.H[l] = ws.Ha[l][:, 1:]
            ws.slopea[l] = np.empty((n, 1 + width), net.dtype)
            ws.slope[l] = ws.slopea[l][:, 1:]
        else:  # read by the seed's w and b
            ws.H[l] = np.empty((n, width), net.dtype)
            ws.slope[l] = np.empty((n, width), net.dtype)
    if L == 1 and K == 2:
        ws.dzA = np.empty((n, 1 + net.n_features), net.dtype)
    elif L:
        ws.dH = np.empty(n * (1 + max(net._widths)), net.dtype)
    return ws


def forward(net, A, ws) -> np.ndarray:
    """Logits of the batch (eqs. 61–63 layer by layer), keeping in ``ws`` what backward needs."""
    n = A.shape[0]
    inputs = A
    for l, g in enumerate(net._acts):
        H = np.matmul(inputs, net._blocks[f"W{l + 1}a"].T, out=ws.H[l][:n])  # eq. 61: A_l
        if ws.Ha[l] is None:
            g.evaluate(H, ws.slope[l][:n])  # eq. 62: H_l = g(A_l) in place; g'(A_l) beside it
            inputs = H
        else:  # the same over the whole buffer, ones column included, then the ones put back
            inputs = ws.Ha[l][:n]
            g.evaluate(inputs, ws.slopea[l][:n])
            inputs[:, 0] = 1.0
    if "Wa" in net._blocks:  # K logits per row, bias through the column of ones; Zᵀ = Wa [1, H]ᵀ (ws.z is column-major)
        np.matmul(net._blocks["Wa"], inputs.T, out=ws.z[:n].T)
        return ws.z[:n]
    if "bw" in net._blocks:  # logistic regression: z = A [b, w]ᵀ = X w + b
        return np.matmul(A, net._blocks["bw"], out=ws.z[:n])
    z = np.matmul(inputs, net._blocks["w"], out=ws.z[:n])  # eq. 63: z = wᵀ h + b
    z += net._blocks["b"]
    return z


def backward(net, A, delta, ws, grads) -> None:
    """``grads`` (blocks laid out like ``θ``) from the output error ``delta`` (eq. 65, already
    scaled), top layer first."""
    n, L = A.shape[0], len(net._widths)
    inputs = [A] + [ws.Ha[l][:n] if ws.Ha[l] is not None else None for l in range(L)]
    if "bw" in grads:  # eq. 18: [∂L/∂b, ∂L/∂w] = Aᵀ (ŷ − y)   (delta carries the 1/N)
        np.matmul(delta, A, out=grads["bw"])
        return
    if "Wa" in grads:  # eqs. 66–67 for K outputs: [∂b | ∂w] = δᵀ [1, H_L]
        np.matmul(delta.T, inputs[L], out=grads["Wa"])
        if L:  # eqs. 68–69: ∂L/∂A_L = (δ w) ⊙ g'(A_L)
            _to_layer_below(net, delta, net._blocks["Wa"], L - 1, n, ws)
    else:
        np.sum(delta, out=grads["b"])  # eq. 66
        np.matmul(delta, ws.H[L - 1][:n], out=grads["w"])  # eq. 67: Σ_i δ_i h_i
        if L == 1:
            _seed_hidden_gradient(net, A, delta, ws, grads["W1a"])
            return
        # eqs. 68–69 for one output unit: ∂L/∂A_L = δ wᵀ ⊙ g'(A_L)
        dA = ws.slope[L - 1][:n]
        dA *= net._blocks["w"]
        dA *= delta[:, None]
    for l in range(L, 0, -1):
        dA = ws.slope[l - 1][:n]  # ∂L/∂A_l
        np.matmul(dA.T, inputs[l - 1], out=grads[f"W{l}a"])  # eqs. 70–71: [∂b_l | ∂W_l] = ∂A_lᵀ [1, H_{l−1}]
        if l > 1:
            _to_layer_below(net, dA, net._blocks[f"W{l}a"], l - 2, n, ws)


def _to_layer_below(net, dA, Wa, below: int, n: int, ws) -> None:
    """``∂L/∂A_{below} = (∂L/∂A_above · W) ⊙ g'(A_below)`` (eqs. 68–69), into ``ws.slope``.

    ``Wa = [b | W]`` is the layer above's block; its bias column gives a first column of
    ``∂A_above · Wa`` that nothing reads, so the product and the multiplication run over the
    whole contiguous ``slopea`` buffer (see :func:`workspace`).
    """
    width = 1 + net._widths[below]
    dHa = np.matmul(dA, Wa, out=ws.dH[: n * width].reshape(n, width))  # eq. 68: ∂L/∂H (after column 0)
    ws.slopea[below][:n] *= dHa  # eq. 69


def _seed_hidden_gradient(net, A, dz, ws, grad) -> None:
    """The seed's network (one hidden layer, one output unit), eqs. 68–71 without ∂L/∂A1.

    Row i of ``∂L/∂A1`` is ``δ_i (w ⊙ g'(a1_i))``, so ``w`` factors out of the sum over
    examples: ``[∂b1 | ∂W1] = diag(w) · g'(A1)ᵀ · (δ ⊙ [1, X])``. The N×H matrix ``∂L/∂A1``
    is never formed: two passes over N×H memory saved, same products.
    """
    n = A.shape[0]
    dzA = np.multiply(A, dz[:, None], out=ws.dzA[:n])
    np.matmul(ws.slope[0][:n].T, dzA, out=grad)
    grad *= net._blocks["w"][:, None]
