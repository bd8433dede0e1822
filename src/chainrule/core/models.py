"""The seed's two models: logistic regression (§2) and the one-hidden-layer network (§4–5).

Both are written over a whole batch at once: a row of ``X`` is one example ``x^T``, so
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
from .activations import get_activation, sigmoid
from .initializers import get_initializer
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


class LogisticRegression(_BinaryModel):
    """Logistic regression, the seed's §2–3: ``ŷ = σ(X w + b)``.

    Parameters
    ----------
    n_features : int
        Number of input features ``d``.
    init : {"small", "he", "xavier"}, default "small"
        Weight initialisation; ``"small"`` is the seed's ``randn(d) * 0.01``. ``b`` starts at 0.
    seed : int or None, default 0
        Seed of the ``np.random.default_rng`` that draws the initial weights.
    dtype : {np.float64, np.float32}, default np.float64

    Attributes
    ----------
    params : mapping
        ``w`` of shape (d,) and ``b`` of shape () — views into the flat parameter vector.

    Notes
    -----
    Loss (eq. 1, as a mean): ``L = −(1/N) Σ [y log ŷ + (1 − y) log(1 − ŷ)]``.
    Gradient (eq. 18 with listing 3's ``1/N``): ``∇L = (1/N) Aᵀ(ŷ − y)`` with the design
    matrix ``A = [1, X]`` of eq. 17, i.e. ``∂L/∂b = mean(ŷ − y)``, ``∂L/∂w = Xᵀ(ŷ − y)/N``.
    """

    _weights = ("w",)

    def __init__(self, n_features: int, init: str = "small", seed: int | None = 0, dtype=np.float64):
        self.n_features = check_int("n_features", n_features, 1)
        self.init = init
        initializer = get_initializer(init)
        # θ = [b, w]: the order of the design matrix's columns (eq. 17).
        self._shapes = {"bw": (1 + self.n_features,)}

        def init_weights(rng):
            self.params["w"][...] = initializer(rng, self.n_features, 1, (self.n_features,))

        self._init_params(seed, dtype, init_weights)

    def _named(self, blocks):
        bw = blocks["bw"]
        return {"w": bw[1:], "b": bw[0:1].reshape(())}

    def _add_buffers(self, ws, n):
        pass

    def _forward(self, A, ws):
        # z = A [b, w]ᵀ = X w + b for every row at once
        return np.matmul(A, self._blocks["bw"], out=ws.z[: A.shape[0]])

    def _backward(self, A, dz, ws):
        # eq. 18: [∂L/∂b, ∂L/∂w] = Aᵀ (ŷ − y)   (dz already carries the 1/N)
        np.matmul(dz, A, out=ws.grad_blocks["bw"])

    def __repr__(self):
        return (
            f"LogisticRegression(n_features={self.n_features}, init={self.init!r}, "
            f"seed={self.seed}, dtype={self.dtype.name})"
        )


class MLP(_BinaryModel):
    """The seed's one-hidden-layer network (§4), trained by backpropagation (§5).

    Forward (eqs. 61–64)::

        a1 = W1 x + b1      h1 = g(a1)      z = wᵀ h1 + b      ŷ = σ(z)

    Parameters
    ----------
    n_features : int
        Input width ``D`` (the seed has 2).
    hidden_width : int
        Number of hidden units ``H`` (the seed has 2; its Exercise 3 asks for 3).
    activation : {"relu", "leaky_relu", "tanh", "sigmoid"}, default "relu"
        Hidden nonlinearity ``g`` (Appendix B).
    init : {"small", "he", "xavier"}, default "small"
        Weight initialisation; ``"small"`` is the seed's ``randn * 0.01`` (listing 8).
        Biases start at 0.
    seed : int or None, default 0
        Seed of the ``np.random.default_rng`` that draws the initial weights.
    dtype : {np.float64, np.float32}, default np.float64

    Attributes
    ----------
    params : mapping
        ``W1`` (H, D), ``b1`` (H,), ``w`` (H,), ``b`` () — views into the flat parameter
        vector, updated in place by training.

    Notes
    -----
    Backward over a batch of N rows (eqs. 65–71 with the mean's 1/N)::

        δ = (ŷ − y) / N                         (N,)     eq. 65, = ∂L/∂z
        ∂L/∂b  = Σ δ                            ()       eq. 66
        ∂L/∂w  = H1ᵀ δ                          (H,)     eq. 67
        ∂L/∂H1 = δ wᵀ                           (N, H)   eq. 68
        ∂L/∂A1 = ∂L/∂H1 ⊙ g'(A1)                (N, H)   eq. 69
        [∂L/∂b1 | ∂L/∂W1] = (∂L/∂A1)ᵀ [1, X]    (H, 1+D) eqs. 70–71
                          = diag(w) g'(A1)ᵀ (δ ⊙ [1, X])

    The last line is how it is computed: the same sums, without materialising the
    N×H matrices of eqs. 68–69.
    """

    _weights = ("W1", "w")

    def __init__(
        self,
        n_features: int,
        hidden_width: int,
        activation: str = "relu",
        init: str = "small",
        seed: int | None = 0,
        dtype=np.float64,
    ):
        self.n_features = check_int("n_features", n_features, 1)
        self.hidden_width = check_int("hidden_width", hidden_width, 1)
        self.activation = activation
        self._g = get_activation(activation)
        self.init = init
        initializer = get_initializer(init)
        D, H = self.n_features, self.hidden_width
        # W1a = [b1 | W1]: the hidden layer's weights against the design matrix [1, X].
        self._shapes = {"W1a": (H, 1 + D), "w": (H,), "b": ()}

        def init_weights(rng):
            self.params["W1"][...] = initializer(rng, D, H, (H, D))
            self.params["w"][...] = initializer(rng, H, 1, (H,))

        self._init_params(seed, dtype, init_weights)

    def _named(self, blocks):
        W1a = blocks["W1a"]
        return {"W1": W1a[:, 1:], "b1": W1a[:, 0], "w": blocks["w"], "b": blocks["b"]}

    def _add_buffers(self, ws, n):
        ws.H1 = np.empty((n, self.hidden_width), self.dtype)
        ws.slope = np.empty((n, self.hidden_width), self.dtype)
        ws.dzA = np.empty((n, 1 + self.n_features), self.dtype)

    def _forward(self, A, ws):
        n = A.shape[0]
        H1 = np.matmul(A, self._blocks["W1a"].T, out=ws.H1[:n])  # eq. 61: a1 = W1 x + b1
        self._g.evaluate(H1, ws.slope[:n])  # eq. 62: h1 = g(a1) in place; g'(a1) beside it
        z = np.matmul(H1, self._blocks["w"], out=ws.z[:n])  # eq. 63: z = wᵀ h1 + b
        z += self._blocks["b"]
        return z

    def _backward(self, A, dz, ws):
        n = A.shape[0]
        grads = ws.grad_blocks
        np.sum(dz, out=grads["b"])  # eq. 66
        np.matmul(dz, ws.H1[:n], out=grads["w"])  # eq. 67: Σ_i δ_i h1_i
        # eqs. 68–71: row i of ∂L/∂A1 is δ_i (w ⊙ g'(a1_i)), so w factors out of the sum
        # over examples: [∂b1 | ∂W1] = diag(w) · g'(A1)ᵀ · (δ ⊙ [1, X]). The N×H matrix
        # ∂L/∂A1 is never formed: two passes over N×H memory saved, same products.
        dzA = np.multiply(A, dz[:, None], out=ws.dzA[:n])
        np.matmul(ws.slope[:n].T, dzA, out=grads["W1a"])
        grads["W1a"] *= self._blocks["w"][:, None]

    def __repr__(self):
        return (
            f"MLP(n_features={self.n_features}, hidden_width={self.hidden_width}, "
            f"activation={self.activation!r}, init={self.init!r}, seed={self.seed}, "
            f"dtype={self.dtype.name})"
        )
