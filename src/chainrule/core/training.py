"""Training (seed §3, eq. 20 / eq. 72): full batch, per example or mini-batches; any optimizer,
schedule and stopping rule.

:func:`fit` is the loop: for each epoch, for each batch, the model's forward and backward pass
(:meth:`~.base.Network.loss_and_gradient`), then the optimizer's update; after each epoch, the
stopping rule (:mod:`.stopping`) and the schedule (:mod:`.schedules`). Off by default, both:
with ``optimizer="gd"`` and a constant step it runs the seed's loops, all their iterations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_float, check_int
from .flow import NOT_RECORDED
from .optimizers import get_optimizer
from .schedules import get_schedule
from .stopping import MONITORS, Plateau


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
        Why training stopped early (diverged, or a stopping rule); empty when it ran all its
        iterations.
    learning_rate : ndarray of shape (n_completed,) or None
        The step size ``η`` each iteration used (it changes under a schedule).
    monitor : str or None
        What the stopping rule watched (:data:`~.stopping.MONITORS`), or None without one.
    monitored : ndarray of shape (n_completed,) or None
        Its value after each iteration (validation values at the parameters the iteration ended with).
    best_iteration : int or None
        The iteration with the best monitored value.
    kept_iteration : int or None
        The iteration after which the parameters are the ones left in the model: the best one
        when a validation monitor restored it, else the last; None when training diverged (the
        parameters are then as they were at that moment).
    """

    loss: np.ndarray
    val_loss: np.ndarray | None = None
    diverged: bool = False
    reason: str = ""
    learning_rate: np.ndarray | None = None
    monitor: str | None = None
    monitored: np.ndarray | None = None
    best_iteration: int | None = None
    kept_iteration: int | None = None

    def __len__(self):
        return len(self.loss)

    def __getitem__(self, index):
        return self.loss[index]

    def __array__(self, dtype=None, copy=None):
        return np.array(self.loss, dtype=dtype, copy=True if copy else None)

    @property
    def n_iter(self) -> int:
        """Completed iterations (scikit-learn's ``n_iter_``)."""
        return len(self.loss)

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
    optimizer="gd",
    schedule: str = "constant",
    power_t: float = 0.5,
    n_iter_no_change: int = 10,
    tol: float = 1e-4,
    early_stopping: bool | str = False,
    shuffle: bool = False,
    seed: int | None = 0,
    l1: float = 0.0,
    l2: float = 0.0,
    validation_data=None,
    max_loss_factor: float | None = None,
    callback=None,
    gradient_flow=None,
) -> History:
    """Train ``model`` in place: ``θ ← θ − η ∇L(θ)`` (eq. 20), or a step of another optimizer.

    Parameters
    ----------
    model : LogisticRegression or MLP
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
        Labels 0..n_classes−1 (0 and 1 for two classes); for K classes each must occur.
    lr : float
        Learning rate ``η`` > 0 (the initial one under a schedule).
    iterations : int
        Number of passes over the data (the seed's ``num_iterations``; scikit-learn's ``max_iter``).
    batch_size : int or None, default None
        Examples per update. None: full-batch gradient descent, one update per
        iteration (the seed's ``train_model``). 1: one update per example (the seed's
        ``train_nn``). Otherwise mini-batches; the last one of a pass may be smaller.
    optimizer : {"gd", "momentum", "nesterov", "adam"} or optimizer object, default "gd"
        A name (scikit-learn's defaults: μ = 0.9, β1 = 0.9, β2 = 0.999, ε = 1e-8) or an object
        such as ``Momentum(momentum=0.5, nesterov=True)`` or ``Adam(beta_1=0.8)``.
    schedule : {"constant", "invscaling", "adaptive"}, default "constant"
        ``invscaling``: ``η = lr / (t + 1)^power_t`` with ``t`` the examples seen, per epoch.
        ``adaptive``: ``η ÷ 5`` at each plateau of the monitored loss (the training loss unless
        ``early_stopping`` says otherwise); stop at a plateau once ``η ≤ 1e-6``.
    power_t : float, default 0.5
    n_iter_no_change : int, default 10
        A plateau is more than this many epochs in a row without an improvement of ``tol``.
    tol : float, default 1e-4
    early_stopping : bool or {"validation_loss", "validation_accuracy", "training_loss"}, default False
        Stop at a plateau of this monitor. True: the validation loss given ``validation_data``,
        else the training loss. A validation monitor restores the parameters of its best epoch
        at the end (scikit-learn's ``early_stopping=True`` is ``"validation_accuracy"``).
    shuffle : bool, default False
        Visit the examples in a fresh random order each pass (mini-batches only; the
        full-batch gradient does not depend on the order).
    seed : int or None, default 0
        Seed of the ``np.random.default_rng`` that shuffles.
    l1, l2 : float, default 0
        Penalties ``l1 · ‖W‖₁ + l2/2 · ‖W‖²`` on the weights (not the biases), added to the loss.
        scikit-learn's ``alpha`` adds ``alpha/2 · ‖W‖² / n_b`` per batch of ``n_b`` rows: with
        batches all of one size, ``l2 = alpha / batch_size``.
    validation_data : tuple (X_val, y_val), optional
        Data whose mean loss is recorded in ``History.val_loss`` every iteration.
    max_loss_factor : float, optional
        Stop as diverged when an iteration's loss exceeds this multiple of the first
        iteration's loss (catches a network that blows up to a huge but finite loss).
    callback : callable ``(iteration, loss, val_loss) -> None``, optional
        Called after every completed iteration (``val_loss`` is None without validation data).
    gradient_flow : :class:`~.flow.GradientFlow`, optional
        Records each block's gradient norm and update ratio per iteration (reads only).

    Returns
    -------
    History
        The loss of every completed iteration, and why training stopped. Training stops
        early, and the history says why, as soon as the loss or a parameter becomes
        non-finite: the history holds no NaN. The parameters are left as they were then.
    """
    lr = check_float("lr", lr, positive=True)
    iterations = check_int("iterations", iterations, 1)
    l1 = check_float("l1", l1, positive=False)
    l2 = check_float("l2", l2, positive=False)
    check_float("power_t", power_t, positive=False)
    if max_loss_factor is not None:
        max_loss_factor = check_float("max_loss_factor", max_loss_factor, positive=True)
    opt = get_optimizer(optimizer)
    steps = get_schedule(schedule, lr, power_t)
    monitor = _monitor(early_stopping, steps.adapts, validation_data is not None)
    plateau = None
    if monitor is not None:
        plateau = Plateau(monitor, check_float("tol", tol, positive=False),
                          check_int("n_iter_no_change", n_iter_no_change, 1))
    A, T = model.prepare(X, y, every_class=True)
    n = A.shape[0]
    if batch_size is None:
        batch_size = n
    else:
        batch_size = check_int("batch_size", batch_size, 1)
        if batch_size > n:
            raise ValueError(f"batch_size must be between 1 and the number of samples ({n}); got {batch_size}")
    if validation_data is not None:
        A_val, T_val = model.prepare(*validation_data, names=("X_val", "y_val"))
        ws_val = model.workspace(A_val.shape[0])

    ws = model.workspace(batch_size)
    theta = model.theta
    opt.start(theta)
    flow = gradient_flow if gradient_flow is not None else NOT_RECORDED
    flow.start(model.params, ws.grad_named)
    best_theta = np.empty_like(theta) if plateau is not None and plateau.restores_best else None
    rng = np.random.default_rng(seed)
    order = None
    if shuffle and batch_size < n:
        A_batch = np.empty((batch_size, A.shape[1]), model.dtype)
        T_batch = np.empty_like(T, shape=(batch_size, *T.shape[1:]))  # laid out as T
        rows, order = np.arange(n), np.empty(n, np.int64)

    losses, val_losses, rates, monitored, reason, diverged = [], [], [], [], "", False
    val_loss = None  # at the parameters the next iteration starts from, when already known
    eta = lr
    # Divergence is detected below from the values; overflow warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for iteration in range(iterations):
            if validation_data is not None and val_loss is None:
                val_loss = model.evaluate(A_val, T_val, ws_val, l1, l2)[0]
            if shuffle and batch_size < n:
                # rng.permutation(n) without a new array each epoch: the same draws, in place
                np.copyto(order, rows)
                rng.shuffle(order)
            scale = eta if opt.folds_step else 1.0
            total = 0.0
            flow.before_epoch()
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                if order is None:
                    A_b, T_b = A[start:stop], T[start:stop]
                else:
                    idx = order[start:stop]
                    A_b = np.take(A, idx, axis=0, out=A_batch[: stop - start])
                    # as columns of Tᵀ: np.take copies a T that is not C-contiguous (one-hot is column-major) whole
                    T_b = np.take(T.T, idx, axis=-1, out=T_batch[: stop - start].T).T
                batch_loss = model.loss_and_gradient(A_b, T_b, ws, scale, l1, l2)
                if not math.isfinite(batch_loss):
                    reason = f"loss became non-finite ({batch_loss}) at iteration {iteration}"
                    break
                opt.step(theta, ws.grad, eta)
                if not np.isfinite(theta).all():
                    reason = f"parameters became non-finite at iteration {iteration}"
                    break
                total += batch_loss * (stop - start)
            if reason:
                diverged = True
                break
            epoch_loss = total / n
            if max_loss_factor is not None and losses and epoch_loss > max_loss_factor * losses[0]:
                reason = (
                    f"loss exploded at iteration {iteration}: {epoch_loss:.6g} > "
                    f"{max_loss_factor:g} × the first iteration's {losses[0]:.6g}"
                )
                diverged = True
                break
            losses.append(epoch_loss)
            rates.append(eta)
            flow.after_epoch(scale)
            if validation_data is not None:
                val_losses.append(val_loss)
            if callback is not None:
                callback(iteration, epoch_loss, val_loss)
            val_loss = None
            if plateau is not None:
                if monitor == "training_loss":
                    value = epoch_loss
                else:  # after the epoch's updates; also the next iteration's starting val_loss
                    val_loss, correct = model.evaluate(A_val, T_val, ws_val, l1, l2)
                    value = val_loss if monitor == "validation_loss" else correct / A_val.shape[0]
                monitored.append(value)
                if plateau.update(value, iteration) and best_theta is not None:
                    np.copyto(best_theta, theta)
            eta = steps.after_epoch((iteration + 1) * n)
            if plateau is not None and plateau.reached:
                if steps.on_plateau():
                    reason = plateau.describe(iteration)
                    if steps.adapts:
                        reason += f"; the learning rate is down to {steps.lr:g}"
                    break
                plateau.count = 0
                eta = steps.lr

    kept = None if diverged or not losses else len(losses) - 1
    if best_theta is not None and not diverged and plateau.best_iteration is not None:
        np.copyto(theta, best_theta)
        kept = plateau.best_iteration
    return History(
        loss=np.asarray(losses, dtype=np.float64),
        val_loss=np.asarray(val_losses, dtype=np.float64) if validation_data is not None else None,
        diverged=diverged,
        reason=reason,
        learning_rate=np.asarray(rates, dtype=np.float64),
        monitor=monitor,
        monitored=np.asarray(monitored, dtype=np.float64) if monitor is not None else None,
        best_iteration=plateau.best_iteration if plateau is not None else None,
        kept_iteration=kept,
    )


def _monitor(early_stopping, adapts: bool, has_validation: bool) -> str | None:
    """What the stopping rule watches, from ``early_stopping`` (see :func:`fit`)."""
    if early_stopping is False:
        return "training_loss" if adapts else None
    if early_stopping is True:
        return "validation_loss" if has_validation else "training_loss"
    if early_stopping not in MONITORS:
        raise ValueError(
            f"early_stopping must be True, False or one of {', '.join(MONITORS)}; got {early_stopping!r}"
        )
    if early_stopping.startswith("validation") and not has_validation:
        raise ValueError(f"early_stopping={early_stopping!r} needs validation_data=(X_val, y_val)")
    return early_stopping
