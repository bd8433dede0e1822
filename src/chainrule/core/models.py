"""The seed's two models: logistic regression (§2) and the one-hidden-layer network (§4–5).

What they share — the design matrix, the flat parameter vector, the API over a batch — is in
:mod:`.base`; each model here defines its blocks of ``θ`` and its forward and backward pass.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int
from .activations import get_activation
from .base import _BinaryModel
from .initializers import get_initializer


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
