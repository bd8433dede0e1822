"""What a run shows and keeps while it trains: the loss so far, and a few progress lines."""

from __future__ import annotations

import logging

log = logging.getLogger("chainrule")


class Progress:
    """fit() callback: keeps every loss so far (logged even if training is interrupted) and logs
    about ``lines`` progress lines per run (the seed prints every 100th iteration)."""

    def __init__(self, iterations: int, lines: int):
        self.iterations = iterations
        self.every = max(1, iterations // lines) if lines else 0
        self.train: list[float] = []
        self.val: list[float] = []

    def __call__(self, i: int, loss: float, val_loss: float) -> None:
        self.train.append(loss)
        self.val.append(val_loss)
        if self.every and (i % self.every == 0 or i == self.iterations - 1):
            width = len(str(self.iterations))
            log.info("iteration %*d/%d  train/loss %.4f  val/loss %.4f", width, i, self.iterations, loss, val_loss)
