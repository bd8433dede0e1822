"""What both of the seed's models share: the design matrix (eq. 17), the flat parameter vector
``θ`` the seed-named parameters are views into, and the public API over a batch.

Both models are written over a whole batch at once: a row of ``X`` is one example ``x^T``, so
the seed's per-example ``a1 = W1 x + b1`` becomes ``A1 = X W1^T + b1`` with one row per
example, and every gradient is the mean over the batch (the ``1/N`` of listing 3).

Biases ride along in the weight matrices through the seed's design matrix (eq. 17):
``[1, X]`` has a leading column of ones, so ``[1, X] [b, w]^T = X w + b`` and a single
product ``[1, X]^T δ`` yields the weight and the bias gradient together (eq. 18). The
seed-named parameters ``W1, b1, w, b`` are views into one flat vector ``θ``, so
training updates them in place and a caller can set them by writing into them.
"""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

import numpy as np

from ._validation import check_dtype, check_float, check_int, check_X, check_y
from .activations import sigmoid
from .losses import loss_and_delta, loss_sum


def design_matrix(X: np.ndarray) -> np.ndarray:
    """The seed's design matrix ``A = [1, X]`` (eq. 17).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    ndarray of shape (n_samples, 1 + n_features), same dtype, C-contiguous
    """
    A = np.empty((X.shape[0], 1 + X.shape[1]), dtype=X.dtype)
    A[:, 0] = 1.0
    A[:, 1:] = X
    return A


class _BinaryModel:
    """What both models share: the flat parameter vector and the public API.

    A subclass defines

    - ``_shapes``: shapes of the blocks of ``θ`` the arithmetic works on, in order;
    - ``_named(blocks)``: the seed-named views (``W1, b1, w, b`` or ``w, b``) into them;
    - ``_weights``: names of the parameters the L2 penalty applies to (biases excluded);
    - ``_buffers(n)``: scratch arrays for a batch of ``n`` examples;
    - ``_forward(A, ws)`` → logits ``z`` of shape (n,), keeping in ``ws`` what backward needs;
    - ``_backward(A, dz, ws, grads)``: writes ``∂L/∂θ`` block by block, given ``dz = ∂L/∂z``.
    """

    _shapes: dict[str, tuple[int, ...]]
    _weights: tuple[str, ...]

    def _init_params(self, seed, dtype, init_weights):
        self.dtype = check_dtype(dtype)
        if seed is not None:
            check_int("seed", seed, 0)
        self.seed = seed
        sizes = [int(np.prod(s)) for s in self._shapes.values()]
        self._theta = np.zeros(sum(sizes), dtype=self.dtype)
        self._blocks = self._split(self._theta)
        self.params = MappingProxyType(self._named(self._blocks))
        # Draw in float64 and round once, so a float32 model starts from the same weights.
        init_weights(np.random.default_rng(seed))

    def _split(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Views of ``flat`` (laid out like ``θ``) shaped as the blocks in ``_shapes``."""
        blocks, start = {}, 0
        for name, shape in self._shapes.items():
            size = int(np.prod(shape))
            blocks[name] = flat[start : start + size].reshape(shape)
            start += size
        return blocks

    def __getstate__(self) -> dict:
        # θ travels once; the views into it are rebuilt on arrival (a pickled view would come
        # back as a copy, and MappingProxyType cannot be pickled at all).
        return {k: v for k, v in self.__dict__.items() if k not in ("_blocks", "params")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._blocks = self._split(self._theta)
        self.params = MappingProxyType(self._named(self._blocks))

    @property
    def n_params(self) -> int:
        """Number of trainable parameters (the seed's 2-2-1 network has 9)."""
        return self._theta.size

    # -- public API -------------------------------------------------------------------

    def decision_function(self, X) -> np.ndarray:
        """Logits ``z`` (eq. 26 / the linear part of eq. 29).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        A = design_matrix(check_X(X, self.dtype, self.n_features))
        return self._forward(A, self._buffers(A.shape[0])).copy()

    def predict_proba(self, X) -> np.ndarray:
        """Predicted probabilities ``ŷ = σ(z)`` (eq. 29) that each label is 1.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return sigmoid(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """Predicted labels: 1 where ``ŷ ≥ 0.5`` (that is, ``z ≥ 0``), else 0.

        Returns
        -------
        ndarray of int64, shape (n_samples,)
        """
        return (self.decision_function(X) >= 0).astype(np.int64)

    def loss(self, X, y, l2: float = 0.0) -> float:
        """Mean binary cross-entropy (eq. 1 averaged, listing 2), plus ``l2/2 · ‖W‖²``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            Labels, each 0 or 1.
        l2 : float, default 0
            L2 penalty on the weights (not the biases).

        Returns
        -------
        float
        """
        A, sign = self._prepare(X, y)
        ws = self._buffers(A.shape[0])
        mean = loss_sum(self._forward(A, ws), sign, ws) / A.shape[0]
        return mean + self._penalty(check_float("l2", l2, positive=False))

    def gradients(self, X, y, l2: float = 0.0) -> dict[str, np.ndarray]:
        """Gradient of :meth:`loss` with respect to every parameter (backpropagation).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
        l2 : float, default 0

        Returns
        -------
        dict
            Same keys, shapes and dtype as :attr:`params`; fresh arrays.
        """
        A, sign = self._prepare(X, y)
        ws = self._buffers(A.shape[0])
        self._loss_and_step(A, sign, 1.0, check_float("l2", l2, positive=False), ws)
        return {name: g.copy() for name, g in ws.grad_named.items()}

    # -- training internals (used by fit) -----------------------------------------------

    def _prepare(self, X, y, names=("X", "y")):
        """Validated design matrix ``[1, X]`` and label signs ``1 − 2y`` in the model's dtype."""
        X = check_X(X, self.dtype, self.n_features, name=names[0])
        y = check_y(y, X.shape[0], self.dtype, name=names[1], x_name=names[0])
        return design_matrix(X), 1 - 2 * y

    def _buffers(self, n: int) -> SimpleNamespace:
        """Scratch arrays for batches of up to ``n`` examples, and a gradient vector."""
        ws = SimpleNamespace(grad=np.empty_like(self._theta))
        for name in ("z", "dz", "m", "losses", "scratch"):
            setattr(ws, name, np.empty(n, self.dtype))
        ws.grad_blocks = self._split(ws.grad)
        ws.grad_named = self._named(ws.grad_blocks)
        self._add_buffers(ws, n)
        return ws

    def _loss_and_step(self, A, sign, lr: float, l2: float, ws) -> float:
        """Forward and backward over one batch; ``ws.grad`` receives ``lr · ∂L/∂θ``.

        Parameters
        ----------
        A : ndarray of shape (n, 1 + n_features)
            Design matrix of the batch.
        sign : ndarray of shape (n,)
            ``1 − 2y`` for the batch.
        lr : float
            Step size folded into the error signal, so the update of eq. 20 is
            ``θ −= ws.grad``. ``lr = 1`` gives the plain gradient.
        l2 : float
            L2 penalty on the weights.
        ws : SimpleNamespace
            From :meth:`_buffers`, sized for at least ``n`` examples.

        Returns
        -------
        float
            The batch's mean loss (with the penalty), measured before the update.
        """
        n = A.shape[0]
        z = self._forward(A, ws)
        dz = ws.dz[:n]
        mean = loss_and_delta(z, sign, lr / n, dz, ws) / n
        self._backward(A, dz, ws)
        if l2:
            mean += self._penalty(l2)
            for name in self._weights:
                ws.grad_named[name] += (lr * l2) * self.params[name]
        return mean

    def _penalty(self, l2: float) -> float:
        """``l2/2 · Σ W²`` over the weights (not the biases)."""
        if not l2:
            return 0.0
        return 0.5 * l2 * sum(float(np.square(self.params[name]).sum()) for name in self._weights)
