"""Gradient descent (seed §3, eq. 20 / eq. 72): full batch, per example, or mini-batches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_float, check_int
from .losses import loss_sum


@dataclass(frozen=True, eq=False)
class History(Sequence):
    """What :func:`fit` returns: the loss per iteration, and why training stopped.

    It behaves as the seed's ``loss_history`` list (``len``, indexing, iteration,
    ``np.asarray``) and carries the rest as attributes.

    Attributes
    ----------
    loss : ndarray of shape (n_completed,)
        Mean training loss of each completed iteration, as the seed's listings record it:
        full batch — the loss at the parameters before that iteration's update (listing 4);
        mini-batches — the mean of the per-example losses seen during the epoch, each before
        its own update (listing 8). Includes the L2 penalty when there is one.
    val_loss : ndarray of shape (n_completed,) or None
        Mean loss on ``validation_data`` at the parameters the iteration started from.
    diverged : bool
        True when training stopped early because the loss or a parameter became non-finite,
        or the loss exceeded ``max_loss_factor`` times its first value.
    reason : str
        Why training stopped early; empty when it ran all its iterations.
    """

    loss: np.ndarray
    val_loss: np.ndarray | None = None
    diverged: bool = False
    reason: str = ""

    def __len__(self):
        return len(self.loss)

    def __getitem__(self, index):
        return self.loss[index]

    def __array__(self, dtype=None, copy=None):
        return np.array(self.loss, dtype=dtype, copy=True if copy else None)

    @property
    def diverged_at(self) -> int | None:
        """Index of the iteration that diverged (= number of completed iterations), or None."""
        return len(self.loss) if self.diverged else None


def fit(
    model,
    X,
    y,
    lr: float,
    iterations: int,
    batch_size: int | None = None,
    *,
    shuffle: bool = False,
    seed: int | None = 0,
    l2: float = 0.0,
    validation_data=None,
    max_loss_factor: float | None = None,
    callback=None,
) -> History:
    """Train ``model`` in place by gradient descent, ``θ ← θ − α ∇L(θ)`` (eq. 20).

    Parameters
    ----------
    model : LogisticRegression or MLP
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
        Labels, each 0 or 1.
    lr : float
        Learning rate ``α`` > 0.
    iterations : int
        Number of passes over the data (the seed's ``num_iterations``).
    batch_size : int or None, default None
        Examples per update. None: full-batch gradient descent, one update per
        iteration (the seed's ``train_model``). 1: one update per example (the seed's
        ``train_nn``). Otherwise mini-batches; the last one of a pass may be smaller.
    shuffle : bool, default False
        Visit the examples in a fresh random order each pass (mini-batches only; the
        full-batch gradient does not depend on the order).
    seed : int or None, default 0
        Seed of the ``np.random.default_rng`` that shuffles.
    l2 : float, default 0
        L2 penalty ``l2/2 · ‖W‖²`` on the weights (not the biases), added to the loss.
    validation_data : tuple (X_val, y_val), optional
        Data whose mean loss is recorded in ``History.val_loss`` every iteration.
    max_loss_factor : float, optional
        Stop as diverged when an iteration's loss exceeds this multiple of the first
        iteration's loss (catches a network that blows up to a huge but finite loss).
    callback : callable ``(iteration, loss, val_loss) -> None``, optional
        Called after every completed iteration (``val_loss`` is None without validation data).

    Returns
    -------
    History
        The loss of every completed iteration. Training stops early, and the history
        says why, as soon as the loss or a parameter becomes non-finite: the history
        holds no NaN. The parameters are left as they were at that moment.
    """
    lr = check_float("lr", lr, positive=True)
    iterations = check_int("iterations", iterations, 1)
    l2 = check_float("l2", l2, positive=False)
    if max_loss_factor is not None:
        max_loss_factor = check_float("max_loss_factor", max_loss_factor, positive=True)
    A, sign = model._prepare(X, y)
    n = A.shape[0]
    if batch_size is None:
        batch_size = n
    else:
        batch_size = check_int("batch_size", batch_size, 1)
        if batch_size > n:
            raise ValueError(f"batch_size must be between 1 and the number of samples ({n}); got {batch_size}")
    if validation_data is not None:
        A_val, sign_val = model._prepare(*validation_data, names=("X_val", "y_val"))
        ws_val = model._buffers(A_val.shape[0])

    ws = model._buffers(batch_size)
    theta = model._theta
    rng = np.random.default_rng(seed)
    order = None
    if shuffle and batch_size < n:
        A_batch = np.empty((batch_size, A.shape[1]), model.dtype)
        sign_batch = np.empty(batch_size, model.dtype)

    losses, val_losses, reason = [], [], ""
    # Divergence is detected below from the values themselves; overflow warnings would
    # only repeat it, once per operation.
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for iteration in range(iterations):
            if validation_data is not None:
                val_loss = loss_sum(model._forward(A_val, ws_val), sign_val, ws_val) / A_val.shape[0]
                val_loss += model._penalty(l2)
            if shuffle and batch_size < n:
                order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                if order is None:
                    A_b, sign_b = A[start:stop], sign[start:stop]
                else:
                    idx = order[start:stop]
                    A_b = np.take(A, idx, axis=0, out=A_batch[: stop - start])
                    sign_b = np.take(sign, idx, out=sign_batch[: stop - start])
                batch_loss = model._loss_and_step(A_b, sign_b, lr, l2, ws)
                if not math.isfinite(batch_loss):
                    reason = f"loss became non-finite ({batch_loss}) at iteration {iteration}"
                    break
                theta -= ws.grad  # eq. 20; ws.grad already holds lr · ∇L
                if not np.isfinite(theta).all():
                    reason = f"parameters became non-finite at iteration {iteration}"
                    break
                total += batch_loss * (stop - start)
            if reason:
                break
            epoch_loss = total / n
            if max_loss_factor is not None and losses and epoch_loss > max_loss_factor * losses[0]:
                reason = (
                    f"loss exploded at iteration {iteration}: {epoch_loss:.6g} > "
                    f"{max_loss_factor:g} × the first iteration's {losses[0]:.6g}"
                )
                break
            losses.append(epoch_loss)
            if validation_data is not None:
                val_losses.append(val_loss)
            if callback is not None:
                callback(iteration, epoch_loss, val_loss if validation_data is not None else None)

    return History(
        loss=np.asarray(losses, dtype=np.float64),
        val_loss=np.asarray(val_losses, dtype=np.float64) if validation_data is not None else None,
        diverged=bool(reason),
        reason=reason,
    )
