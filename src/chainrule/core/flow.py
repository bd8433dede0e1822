"""How the gradients flow: per parameter block, the gradient norm and the update-to-weight ratio.

A :class:`GradientFlow` handed to :func:`~.training.fit` records, for every completed iteration,
``‖∂L/∂θ_block‖`` and ``‖Δθ_block‖ / ‖θ_block‖`` (CS231n's rule of thumb: about 1e-3). In a deep
sigmoid network the first layer's gradient norm ends orders of magnitude below the last's — the
vanishing gradients of backpropagation's repeated ``σ' ≤ 1/4`` factors (eq. 69 per layer). It only
reads: training computes the same bits with it or without it.
"""

from __future__ import annotations

import numpy as np


class GradientFlow:
    """Recorder of the gradient norm and update ratio of every parameter block, per iteration.

    After :func:`~.training.fit`, :attr:`grad_norm` and :attr:`update_ratio` map each name of
    ``model.params`` (``W1``, ``b1``, …, ``w``, ``b``) to an array of shape (n_completed,). With
    mini-batches the gradient norm is the epoch's last batch's; the update ratio is over the epoch.
    """

    def __init__(self):
        self._norms: dict[str, list[float]] = {}
        self._ratios: dict[str, list[float]] = {}

    def start(self, params, grads) -> None:
        """Called by ``fit`` once: the parameter views and the gradient views it will read."""
        self._params, self._grads = params, grads
        self._before = {name: np.empty_like(p) for name, p in params.items()}
        self._change = {name: np.empty_like(p) for name, p in params.items()}
        self._norms = {name: [] for name in params}
        self._ratios = {name: [] for name in params}

    def before_epoch(self) -> None:
        for name, p in self._params.items():
            np.copyto(self._before[name], p)

    def after_epoch(self, scale: float) -> None:
        """The gradients still hold the epoch's last batch's ``scale · ∂L/∂θ`` (the trainer's
        folded step size): no optimizer writes into them."""
        for name, p in self._params.items():
            before = self._before[name]
            change = np.subtract(p, before, out=self._change[name])
            size = float(np.linalg.norm(before))
            self._norms[name].append(float(np.linalg.norm(self._grads[name])) / scale)
            self._ratios[name].append(float(np.linalg.norm(change)) / size if size else np.inf)

    @property
    def grad_norm(self) -> dict[str, np.ndarray]:
        """Name → ``‖∂L/∂θ_block‖`` per completed iteration."""
        return {name: np.asarray(v, dtype=np.float64) for name, v in self._norms.items()}

    @property
    def update_ratio(self) -> dict[str, np.ndarray]:
        """Name → ``‖Δθ_block‖ / ‖θ_block‖`` per completed iteration (inf where the block started at 0)."""
        return {name: np.asarray(v, dtype=np.float64) for name, v in self._ratios.items()}


class _NotRecorded:
    """What ``fit`` reports to without a recorder: nothing (two empty calls per iteration)."""

    def start(self, params, grads) -> None: ...
    def before_epoch(self) -> None: ...
    def after_epoch(self, scale: float) -> None: ...


NOT_RECORDED = _NotRecorded()
