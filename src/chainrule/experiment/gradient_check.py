"""The seed's Exercise 1 as a task (``experiment=exercise1``): backpropagation beside central differences."""

from __future__ import annotations

import logging
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from chainrule.core import numerical_gradients, relative_error
from chainrule.experiment.factory import build_model
from chainrule.tracking import records, store
from chainrule.tracking.runs import recorded_run

log = logging.getLogger("chainrule")


def gradient_check(cfg: DictConfig, project_root: Path) -> float:
    """The seed's Exercise 1: backpropagation beside central differences, for fixed weights.

    Prints the table and logs it as ``gradient_check.csv``; returns the largest relative error.
    """
    check = cfg.gradient_check
    X, y = np.array([check.x], dtype=np.float64), np.array([check.y])
    model = build_model(cfg.model, X.shape[1], cfg.seed, "float64")
    for name, value in check.params.items():
        model.params[name][...] = OmegaConf.to_object(value) if OmegaConf.is_config(value) else value
    analytic = model.gradients(X, y)
    numerical = numerical_gradients(model, X, y, eps=check.eps)
    rows = [
        {"parameter": f"{name}{list(index) if index else ''}", "analytic": a, "numerical": n, "relative_error": e}
        for name in analytic
        for index, a, n, e in zip(
            np.ndindex(analytic[name].shape),
            analytic[name].ravel(), numerical[name].ravel(), relative_error(analytic[name], numerical[name]).ravel(),
        )
    ]
    table = pd.DataFrame(rows)
    worst = float(table["relative_error"].max())
    print(f"Exercise 1: ŷ = {model.predict_proba(X)[0]:.7f}, loss = {model.loss(X, y):.7f}")
    print(table.to_string(index=False, float_format=lambda v: f"{v: .7e}"))

    uri = store.resolve_uri(cfg.tracking.uri, project_root)
    experiment_id = store.use_store(uri, cfg.tracking.experiment)
    with recorded_run(experiment_id, "exercise1-gradient-check", {"chainrule.task": "gradient_check"}):
        records.log_params(mlflow.active_run().info.run_id, records.flatten(cfg))
        mlflow.log_text(table.to_csv(index=False), "gradient_check.csv")
        mlflow.log_metric("gradient_check/max_relative_error", worst)
    log.info("largest relative error %.2e (central differences, eps=%g)", worst, check.eps)
    return worst
