"""Knowing when training has stopped improving: scikit-learn's ``tol`` / ``n_iter_no_change`` rule.

After every epoch the loop hands the rule one number — the monitored value — and the rule
counts the epochs in a row that failed to beat the best so far by ``tol``. Once the count
exceeds ``n_iter_no_change`` a plateau is reached; the schedule then decides whether to stop
or to shrink the step (:mod:`.schedules`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MONITORS = {
    "validation_loss": "minimize",  # mean loss on validation_data, after the epoch's updates
    "validation_accuracy": "maximize",  # scikit-learn's early-stopping score
    "training_loss": "minimize",  # the epoch's loss, as the history records it (scikit-learn's default rule)
}
"""What a stopping rule can watch, and which way is better."""


@dataclass
class Plateau:
    """The no-improvement counter of one fit.

    Parameters
    ----------
    monitor : str
        A key of :data:`MONITORS`.
    tol : float
        The improvement that counts: a loss must fall below ``best − tol``, a score rise to at
        least ``best + tol``.
    n_iter_no_change : int
        Epochs without such an improvement tolerated before a plateau.
    """

    monitor: str
    tol: float
    n_iter_no_change: int
    best: float = -math.inf  # in the "maximize" sense: losses are negated
    best_iteration: int | None = None
    count: int = 0

    @property
    def restores_best(self) -> bool:
        """Whether the weights of the best epoch are kept at the end (validation monitors only)."""
        return self.monitor.startswith("validation")

    def update(self, value: float, iteration: int) -> bool:
        """Count one epoch's ``value``; True if it is a new best (strictly better)."""
        score = -value if MONITORS[self.monitor] == "minimize" else value  # negation is exact
        if score < self.best + self.tol:
            self.count += 1
        else:
            self.count = 0
        if score > self.best:
            self.best, self.best_iteration = score, iteration
            return True
        return False

    @property
    def reached(self) -> bool:
        return self.count > self.n_iter_no_change

    def describe(self, iteration: int) -> str:
        what = self.monitor.replace("_", " ")
        return (f"{what} did not improve by tol={self.tol:g} for {self.count} epochs "
                f"(n_iter_no_change={self.n_iter_no_change}) at iteration {iteration}")
