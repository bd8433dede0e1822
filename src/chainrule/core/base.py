"""What every model of the core is: a stack of layers over one flat parameter vector ``θ``.

Written over a whole batch at once: a row of ``X`` is one example ``x^T``, so the seed's
per-example ``a1 = W1 x + b1`` becomes ``A1 = X W1^T + b1`` with one row per example, and every
gradient is the mean over the batch (the ``1/N`` of listing 3).

Biases ride along in the weight matrices through the seed's design matrix (eq. 17): ``[1, X]``
has a leading column of ones, so ``[1, X] [b, w]^T = X w + b`` and a single product
``[1, X]^T δ`` yields the weight and the bias gradient together (eq. 18). Every layer that
feeds a matrix of weights keeps its output beside a column of ones the same way, so layer l's
block of ``θ`` is ``[b_l | W_l]`` of shape (n_l, 1 + n_{l−1}) and each product carries its bias.
The seed-named parameters are views into ``θ``, so training updates them in place and a caller
sets them by writing into them.

The protocol a trainer uses (:func:`~chainrule.core.training.fit`, the optimizers and
:func:`~chainrule.core.gradcheck.numerical_gradients` need nothing else):

- ``model.theta``: the flat parameter vector, updated in place;
- ``model.prepare(X, y)`` → ``(A, T)``: the validated design matrix and the encoded targets;
- ``model.workspace(n)``: every buffer a batch of up to ``n`` rows needs, allocated once, with
  ``ws.grad`` laid out like ``θ``;
- ``model.loss_and_gradient(A, T, ws, scale, l1, l2)``: forward and backward over one batch;
- ``model.evaluate(A, T, ws, l1, l2)``: mean loss and correct rows, forward only.
"""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

import numpy as np

from ._validation import check_dtype, check_float, check_int, check_labels, check_X
from . import backprop
from .outputs import output_for


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


class Network:
    """Hidden layers of widths ``n_1 … n_L`` (L ≥ 0), then a sigmoid unit or a softmax.

    Parameters are blocks of ``θ``: hidden layer l is ``W{l}a = [b_l | W_l]`` of shape
    (n_l, 1 + n_{l−1}), ``n_0 = D``. The output is, for two classes, the seed's ``w`` (n_L,) and
    ``b`` () — one block ``bw = [b, w]`` against the design matrix when there is no hidden
    layer (logistic regression, §2) — and for K classes ``Wa = [b | w]`` of shape (K, 1 + n_L).
    Subclasses set the architecture and name the parameters; everything else is here.
    """

    def _build(self, n_features, widths, activations, n_classes, init, seed, dtype):
        self.n_features = n_features
        self.n_classes = check_int("n_classes", n_classes, 2)
        self._widths = tuple(widths)
        self._acts = tuple(activations)
        self.dtype = check_dtype(dtype)
        if seed is not None:
            check_int("seed", seed, 0)
        self.seed = seed
        fans = (n_features, *self._widths)
        shapes = {f"W{l}a": (n, 1 + fans[l - 1]) for l, n in enumerate(self._widths, 1)}
        L, K = len(self._widths), self.n_classes
        if K > 2:
            shapes["Wa"] = (K, 1 + fans[-1])
        elif L == 0:
            shapes["bw"] = (1 + n_features,)  # θ = [b, w]: the design matrix's column order (eq. 17)
        else:
            shapes |= {"w": (fans[-1],), "b": ()}
        self._shapes = shapes
        self._theta = np.zeros(sum(int(np.prod(s)) for s in shapes.values()), dtype=self.dtype)
        self._attach()
        # Draw in float64 and round once, so a float32 model starts from the same weights;
        # layer by layer, each weight matrix before the next, biases at 0 (listings 4 and 8).
        rng = np.random.default_rng(seed)
        outputs = 1 if K == 2 else K
        for l, n in enumerate(self._widths, 1):
            self.params[f"W{l}"][...] = init(rng, fans[l - 1], n, (n, fans[l - 1]))
        w_shape = (fans[-1],) if K == 2 else (K, fans[-1])
        self.params["w"][...] = init(rng, fans[-1], outputs, w_shape)

    def _attach(self) -> None:
        self._blocks = self._split(self._theta)
        self.params = MappingProxyType(self._named(self._blocks))
        self._weights = tuple(name for name in self.params if not name.startswith("b"))

    def _split(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Views of ``flat`` (laid out like ``θ``) shaped as the blocks of ``θ``."""
        blocks, start = {}, 0
        for name, shape in self._shapes.items():
            size = int(np.prod(shape))
            blocks[name] = flat[start : start + size].reshape(shape)
            start += size
        return blocks

    def _named(self, blocks) -> dict[str, np.ndarray]:
        """Parameter names → views: ``W1, b1, …, WL, bL`` then ``w, b``."""
        named = {}
        for l in range(1, len(self._widths) + 1):
            Wa = blocks[f"W{l}a"]
            named |= {f"W{l}": Wa[:, 1:], f"b{l}": Wa[:, 0]}
        if "Wa" in blocks:
            named |= {"w": blocks["Wa"][:, 1:], "b": blocks["Wa"][:, 0]}
        elif "bw" in blocks:
            named |= {"w": blocks["bw"][1:], "b": blocks["bw"][0:1].reshape(())}
        else:
            named |= {"w": blocks["w"], "b": blocks["b"]}
        return named

    def __getstate__(self) -> dict:
        # θ travels once; the views into it are rebuilt on arrival (a pickled view would come
        # back as a copy, and MappingProxyType cannot be pickled at all).
        return {k: v for k, v in self.__dict__.items() if k not in ("_blocks", "params")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._attach()

    @property
    def _output(self):
        return output_for(self.n_classes)

    @property
    def theta(self) -> np.ndarray:
        """The flat parameter vector, shape (n_params,); every entry of :attr:`params` views it."""
        return self._theta

    @property
    def n_params(self) -> int:
        """Number of trainable parameters (the seed's 2-2-1 network has 9)."""
        return self._theta.size

    # -- public API -------------------------------------------------------------------

    def decision_function(self, X) -> np.ndarray:
        """Logits ``z`` (eq. 26 / the linear part of eq. 29), one per class for K classes.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, (n_samples, K) for K
        """
        A = design_matrix(check_X(X, self.dtype, self.n_features))
        ws = self.workspace(A.shape[0])
        Z = np.empty((A.shape[0], *ws.z.shape[1:]), self.dtype)
        for rows in backprop.blocks(A.shape[0], ws.rows):
            Z[rows] = backprop.forward(self, A[rows], ws)
        return Z

    def predict_proba(self, X) -> np.ndarray:
        """Predicted probabilities: ``σ(z)`` that the label is 1 (eq. 29), or a softmax over K.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, (n_samples, K) for K
        """
        return self._output.proba(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """Predicted labels: 1 where ``ŷ ≥ 0.5`` (``z ≥ 0``) for two classes, else the arg max.

        Returns
        -------
        ndarray of int64, shape (n_samples,)
        """
        return self._output.predict(self.decision_function(X))

    def loss(self, X, y, l2: float = 0.0, l1: float = 0.0) -> float:
        """Mean cross-entropy (eq. 1 averaged, listing 2), plus ``l2/2 · ‖W‖² + l1 · ‖W‖₁``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            Labels in 0..n_classes−1.
        l2, l1 : float, default 0
            Penalties on the weights (never the biases).

        Returns
        -------
        float
        """
        A, T = self.prepare(X, y)
        return self.evaluate(A, T, self.workspace(A.shape[0]), *self._penalties(l1, l2))[0]

    def gradients(self, X, y, l2: float = 0.0, l1: float = 0.0) -> dict[str, np.ndarray]:
        """Gradient of :meth:`loss` with respect to every parameter (backpropagation).

        Returns
        -------
        dict
            Same keys, shapes and dtype as :attr:`params`; fresh arrays.
        """
        A, T = self.prepare(X, y)
        ws = self.workspace(A.shape[0])
        self.loss_and_gradient(A, T, ws, 1.0, *self._penalties(l1, l2))
        return {name: g.copy() for name, g in ws.grad_named.items()}

    @staticmethod
    def _penalties(l1, l2):
        return check_float("l1", l1, positive=False), check_float("l2", l2, positive=False)

    # -- the trainer's protocol ---------------------------------------------------------

    def prepare(self, X, y, names=("X", "y"), *, every_class: bool = False):
        """Validated design matrix ``[1, X]`` and targets in the model's dtype.

        Parameters
        ----------
        X : array_like of shape (n, n_features)
        y : array_like of shape (n,)
            Labels in 0..n_classes−1.
        names : (str, str)
            How ``X`` and ``y`` are called in messages.
        every_class : bool
            Also require every class to occur (training data; K > 2 only).

        Returns
        -------
        A : ndarray of shape (n, 1 + n_features)
        T : ndarray
            Signs ``1 − 2y`` of shape (n,) for two classes, one-hot rows (n, K) for K.
        """
        X = check_X(X, self.dtype, self.n_features, name=names[0])
        y = check_labels(y, X.shape[0], self.n_classes, name=names[1], x_name=names[0],
                         every_class=every_class and self.n_classes > 2)
        return design_matrix(X), self._output.encode(y, self.n_classes, self.dtype)
    def workspace(self, n: int) -> SimpleNamespace:
        """Every buffer a batch of up to ``n`` rows needs, allocated once (:func:`.backprop.workspace`)."""
        return backprop.workspace(self, n)

    def evaluate(self, A, T, ws, l1: float = 0.0, l2: float = 0.0) -> tuple[float, int]:
        """Mean loss (with the penalties) and the number of correctly labelled rows, forward only."""
        total, right = 0.0, 0
        for rows in backprop.blocks(A.shape[0], ws.rows):
            Z = backprop.forward(self, A[rows], ws)
            total += self._output.loss_sum(Z, T[rows], ws)
            right += self._output.count_correct(Z, T[rows], ws)
        return total / A.shape[0] + self._penalty(l1, l2), right

    def loss_and_gradient(self, A, T, ws, scale: float = 1.0, l1: float = 0.0, l2: float = 0.0) -> float:
        """Forward and backward over one batch; ``ws.grad`` receives ``scale · ∂L/∂θ``.

        Parameters
        ----------
        A : ndarray of shape (n, 1 + n_features)
            Design matrix of the batch.
        T : ndarray
            The batch's targets, from :meth:`prepare`.
        ws : SimpleNamespace
            From :meth:`workspace`, sized for at least ``n`` rows.
        scale : float
            Folded into the error signal: plain gradient descent passes its step size, so the
            update of eq. 20 is ``θ −= ws.grad``; ``scale = 1`` gives the gradient itself.
        l1, l2 : float
            Penalties ``l1 · Σ|W| + l2/2 · Σ W²`` on the weights (not the biases).

        Returns
        -------
        float
            The batch's mean loss (with the penalties), at the parameters before any update.
        """
        n, total = A.shape[0], 0.0
        for block, rows in enumerate(backprop.blocks(n, ws.rows)):
            A_b, T_b = A[rows], T[rows]
            Z = backprop.forward(self, A_b, ws)
            delta = (ws.dz if self.n_classes == 2 else ws.E)[: A_b.shape[0]]
            total += self._output.loss_and_delta(Z, T_b, scale / n, delta, ws)  # δ carries the batch's 1/n
            backprop.backward(self, A_b, delta, ws, ws.part_blocks if block else ws.grad_blocks)
            if block:
                ws.grad += ws.part
        mean = total / n
        if l2 or l1:
            mean += self._penalty(l1, l2)
            for name in self._weights:
                W, grad = self.params[name], ws.grad_named[name]
                if l2:
                    grad += (scale * l2) * W
                if l1:  # a subgradient: sign(0) = 0
                    grad += (scale * l1) * np.sign(W)
        return mean

    def _penalty(self, l1: float, l2: float) -> float:
        """``l2/2 · Σ W² + l1 · Σ|W|`` over the weights (not the biases)."""
        total = 0.0
        if l2:
            total += 0.5 * l2 * sum(float(np.square(self.params[name]).sum()) for name in self._weights)
        if l1:
            total += l1 * sum(float(np.abs(self.params[name]).sum()) for name in self._weights)
        return total
