"""What a run records about how training went, beyond the loss: the learning rate where a schedule
changed it, why a stopping rule stopped, how the gradients flowed."""

from __future__ import annotations

import numpy as np
from omegaconf import DictConfig

from chainrule.experiment.figures import weight_blocks


def rate_changes(cfg: DictConfig, history) -> dict:
    """``train/lr`` at the epochs where a schedule changed it (the first epoch included)."""
    if cfg.train.schedule == "constant":
        return {}
    rates = history.learning_rate
    return {"train/lr": {step: rate for step, rate in enumerate(rates) if step == 0 or rate != rates[step - 1]}}


FLOW_POINTS = 100
"""Steps logged per gradient-flow metric, log-spaced (the figure draws every iteration): a run's
loss histories are 2 × iterations points already, and each point costs the store a row."""


def flow_metrics(flow) -> dict:
    """``grad_norm/<W>`` and ``update_ratio/<W>`` for each weight matrix (not the biases), at up
    to :data:`FLOW_POINTS` log-spaced iterations, the first and the last included."""
    if flow is None:
        return {}
    series = {"grad_norm": weight_blocks(flow.grad_norm), "update_ratio": weight_blocks(flow.update_ratio)}
    n = len(next(iter(series["grad_norm"].values()), []))
    if not n:
        return {}
    steps = np.unique(np.geomspace(1, n, min(n, FLOW_POINTS)).round().astype(int)) - 1
    return {f"{kind}/{name}": {int(s): values[s] for s in steps}
            for kind, blocks in series.items() for name, values in blocks.items()}


def stopping_tags(cfg: DictConfig, history) -> dict[str, str]:
    """Why training ended, the best iteration of what the stopping rule watched, and the iteration
    the kept weights come from (the best one when a validation monitor restored it, else the last)."""
    if history.monitor is None:
        return {}
    stopped = not history.diverged and bool(history.reason)
    tags = {"chainrule.stopped_early": str(stopped).lower(), "chainrule.monitor": history.monitor}
    if history.best_iteration is not None:
        tags["chainrule.best_iteration"] = str(history.best_iteration)
    if history.kept_iteration is not None:
        tags["chainrule.kept_iteration"] = str(history.kept_iteration)
    if stopped:
        tags["chainrule.stop_reason"] = history.reason
    return tags
