"""The core's models: logistic regression (§2) and the multilayer network (§4–5, any depth).

Both are a :class:`~.base.Network`; here they say their architecture and check their arguments.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import check_int
from .activations import get_activation
from .base import Network
from .initializers import get_initializer


class LogisticRegression(Network):
    """Logistic regression, the seed's §2–3: ``ŷ = σ(X w + b)``; softmax regression for K classes.

    Parameters
    ----------
    n_features : int
        Number of input features ``d``.
    init : {"small", "he", "xavier"}, default "small"
        Weight initialisation; ``"small"`` is the seed's ``randn(d) * 0.01``. ``b`` starts at 0.
    seed : int or None, default 0
        Seed of the ``np.random.default_rng`` that draws the initial weights.
    dtype : {np.float64, np.float32}, default np.float64
    n_classes : int, default 2
        Two: one sigmoid unit (eq. 29). More: a softmax over ``n_classes`` logits.

    Attributes
    ----------
    params : mapping
        ``w`` of shape (d,) and ``b`` of shape () — or (K, d) and (K,) for K classes — views
        into the flat parameter vector.

    Notes
    -----
    Loss (eq. 1, as a mean): ``L = −(1/N) Σ [y log ŷ + (1 − y) log(1 − ŷ)]``.
    Gradient (eq. 18 with listing 3's ``1/N``): ``∇L = (1/N) Aᵀ(ŷ − y)`` with the design
    matrix ``A = [1, X]`` of eq. 17, i.e. ``∂L/∂b = mean(ŷ − y)``, ``∂L/∂w = Xᵀ(ŷ − y)/N``;
    for K classes the same with ``ŷ − y`` a row per example (eq. 16 holds for the softmax).
    """

    def __init__(self, n_features: int, init: str = "small", seed: int | None = 0, dtype=np.float64, *,
                 n_classes: int = 2):
        self.init = init
        n_features = check_int("n_features", n_features, 1)
        self._build(n_features, (), (), n_classes, get_initializer(init), seed, dtype)

    def __repr__(self):
        classes = f", n_classes={self.n_classes}" if self.n_classes > 2 else ""
        return (
            f"LogisticRegression(n_features={self.n_features}, init={self.init!r}, "
            f"seed={self.seed}, dtype={self.dtype.name}{classes})"
        )


class MLP(Network):
    """A multilayer network trained by backpropagation; with one hidden layer, the seed's §4–5.

    Forward (eqs. 61–64, layer by layer)::

        a_l = W_l h_{l−1} + b_l     h_l = g(a_l)     (h_0 = x, l = 1 … L)
        z = wᵀ h_L + b              ŷ = σ(z)          or  ŷ = softmax(W h_L + b) for K classes

    Parameters
    ----------
    n_features : int
        Input width ``D`` (the seed has 2).
    hidden_width : int, optional
        One hidden layer of this many units (the seed has 2; its Exercise 3 asks for 3).
    activation : str or sequence of str, default "relu"
        Hidden nonlinearity ``g`` (Appendix B): one of "relu", "leaky_relu", "tanh", "sigmoid"
        for every hidden layer, or one name per hidden layer.
    init : {"small", "he", "xavier"}, default "small"
        Weight initialisation; ``"small"`` is the seed's ``randn * 0.01`` (listing 8).
        Biases start at 0.
    seed : int or None, default 0
        Seed of the ``np.random.default_rng`` that draws the initial weights.
    dtype : {np.float64, np.float32}, default np.float64
    hidden_widths : sequence of int, optional
        The widths ``n_1 … n_L`` of L ≥ 1 hidden layers; give this or ``hidden_width``.
    n_classes : int, default 2
        Two: one sigmoid output unit (eq. 29). More: a softmax over ``n_classes`` logits.

    Attributes
    ----------
    params : mapping
        ``W1`` (n_1, D), ``b1`` (n_1,), …, ``WL`` (n_L, n_{L−1}), ``bL`` (n_L,), then ``w`` (n_L,)
        and ``b`` () — or ``w`` (K, n_L) and ``b`` (K,) for K classes. Views into the flat
        parameter vector, updated in place by training.

    Notes
    -----
    Backward over a batch of N rows (eqs. 65–71 with the mean's 1/N, per layer from the top)::

        δ = (ŷ − y) / N                               eq. 65 (eq. 16: also for the softmax)
        [∂L/∂b | ∂L/∂w] = δᵀ [1, h_L]                 eqs. 66–67
        ∂L/∂A_L = (δ w) ⊙ g'(A_L)                     eqs. 68–69
        [∂L/∂b_l | ∂L/∂W_l] = (∂L/∂A_l)ᵀ [1, H_{l−1}]  eqs. 70–71
        ∂L/∂A_{l−1} = (∂L/∂A_l W_l) ⊙ g'(A_{l−1})     eqs. 68–69 one layer down

    For the seed's network (one hidden layer, one output unit) the last two lines are computed as
    ``diag(w) g'(A1)ᵀ (δ ⊙ [1, X])``: the same sums without the N×H matrices of eqs. 68–69.
    """

    def __init__(
        self,
        n_features: int,
        hidden_width: int | None = None,
        activation: str | Sequence[str] = "relu",
        init: str = "small",
        seed: int | None = 0,
        dtype=np.float64,
        *,
        hidden_widths: Sequence[int] | None = None,
        n_classes: int = 2,
    ):
        n_features = check_int("n_features", n_features, 1)
        if (hidden_width is None) == (hidden_widths is None):
            raise ValueError(
                "give hidden_width (one hidden layer) or hidden_widths (one width per layer), not "
                f"{'both' if hidden_width is not None else 'neither'}; got hidden_width={hidden_width!r}, "
                f"hidden_widths={hidden_widths!r}"
            )
        if hidden_widths is None:
            widths = (check_int("hidden_width", hidden_width, 1),)
        else:
            if isinstance(hidden_widths, (str, bytes)) or not isinstance(hidden_widths, Sequence) or not hidden_widths:
                raise ValueError(f"hidden_widths must be a non-empty sequence of integers >= 1; got {hidden_widths!r}")
            widths = tuple(check_int(f"hidden_widths[{i}]", w, 1) for i, w in enumerate(hidden_widths))
        if isinstance(activation, str):
            names = (activation,) * len(widths)
        else:
            names = tuple(activation)
            if len(names) != len(widths):
                raise ValueError(
                    f"activation names one activation per hidden layer: got {len(names)} ({list(names)}) "
                    f"for {len(widths)} hidden layers {list(widths)}"
                )
        self.activation = activation if isinstance(activation, str) else names
        self.init = init
        self._build(n_features, widths, [get_activation(a) for a in names], n_classes,
                    get_initializer(init), seed, dtype)

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        """The widths of the hidden layers, bottom first."""
        return self._widths

    @property
    def hidden_width(self) -> int:
        """The width of the one hidden layer (the seed's ``H``); for deeper nets, see hidden_widths."""
        if len(self._widths) != 1:
            raise AttributeError(f"this network has {len(self._widths)} hidden layers; use hidden_widths={self._widths}")
        return self._widths[0]

    def __repr__(self):
        shape = (f"hidden_width={self._widths[0]}" if len(self._widths) == 1
                 else f"hidden_widths={self._widths}")
        classes = f", n_classes={self.n_classes}" if self.n_classes > 2 else ""
        return (
            f"MLP(n_features={self.n_features}, {shape}, activation={self.activation!r}, "
            f"init={self.init!r}, seed={self.seed}, dtype={self.dtype.name}{classes})"
        )
