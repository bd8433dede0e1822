"""Learning-rate schedules, with scikit-learn's semantics: the step size ``η`` epoch by epoch.

A schedule answers two questions the training loop asks: the step size for the next epoch,
given how many examples have been seen (:meth:`after_epoch`), and what to do when the
loss has stopped improving (:meth:`on_plateau`: a smaller step, or stop). Adding a schedule
is adding a class and a row of :data:`SCHEDULES`.
"""

from __future__ import annotations

from ._validation import check_float, lookup

ADAPTIVE_DIVISOR = 5.0
"""``adaptive`` divides ``η`` by this on a plateau (scikit-learn's 5)."""

ADAPTIVE_FLOOR = 1e-6
"""``adaptive`` stops once ``η`` is at or below this when a plateau is reached (scikit-learn's 1e-6)."""


class Constant:
    """``η`` stays ``η0``; a plateau ends training (when a stopping rule is on)."""

    name = "constant"
    adapts = False

    def __init__(self, lr0: float, power_t: float):
        self.lr = lr0

    def after_epoch(self, samples_seen: int) -> float:
        return self.lr

    def on_plateau(self) -> bool:
        """True: stop training."""
        return True


class InvScaling(Constant):
    """``η = η0 / (t + 1)^power_t``, ``t`` the examples seen so far, updated once per epoch."""

    name = "invscaling"

    def __init__(self, lr0: float, power_t: float):
        self.lr0, self.lr = lr0, lr0
        self.power_t = check_float("power_t", power_t, positive=False)

    def after_epoch(self, samples_seen: int) -> float:
        self.lr = float(self.lr0) / (samples_seen + 1) ** self.power_t
        return self.lr


class Adaptive(Constant):
    """``η`` stays ``η0`` until a plateau, then ``η ← η / 5``; a plateau at ``η ≤ 1e-6`` stops.

    A plateau is ``n_iter_no_change`` epochs without an improvement of ``tol`` in the monitored
    loss (:func:`~chainrule.core.training.fit`); without early stopping, the training loss.
    """

    name = "adaptive"
    adapts = True

    def on_plateau(self) -> bool:
        if self.lr <= ADAPTIVE_FLOOR:
            return True
        self.lr /= ADAPTIVE_DIVISOR
        return False


SCHEDULES = {"constant": Constant, "invscaling": InvScaling, "adaptive": Adaptive}


def get_schedule(name: str, lr0: float, power_t: float):
    """A fresh schedule by name, starting from ``lr0``."""
    return lookup(SCHEDULES, "schedule", name)(lr0, power_t)
