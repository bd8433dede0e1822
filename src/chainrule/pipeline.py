"""One run of the pipeline: load → split → scale → build → fit → score → log.

``run(cfg)`` is what ``pipelines/train.py`` calls for every Hydra job. Everything that can be
wrong with the configuration or the data is found before an MLflow run is created; once a
run exists, it ends FINISHED, FAILED (exception, recorded on the run) or KILLED (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import traceback
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from chainrule import data, figure_worker, metrics, model_io, process, tracking
from chainrule.config import ConfigError, validate
from chainrule.core import MLP, LogisticRegression, fit, numerical_gradients, relative_error

log = logging.getLogger("chainrule")


def build_model(model_cfg: DictConfig, n_features: int, seed: int, dtype: str):
    """The core model a ``model`` config describes."""
    if model_cfg.name == "mlp":
        return MLP(n_features, model_cfg.hidden_width, model_cfg.activation, model_cfg.init, seed, dtype)
    return LogisticRegression(n_features, model_cfg.init, seed, dtype)


@contextlib.contextmanager
def recorded_run(experiment_id: str, name: str, tags: dict[str, str]):
    """An active MLflow run that always ends: FINISHED, FAILED with the error recorded, or KILLED.

    A job started by a sweep (``$CHAINRULE_PARENT_RUN_ID`` set) becomes that run's child.
    """
    tags = tags | process.identity()  # lets a later start recognise this run if the process dies
    parent = os.environ.get(tracking.PARENT_RUN_ENV)
    if parent:
        tags = tags | {"chainrule.sweep": parent}
    active = mlflow.start_run(experiment_id=experiment_id, run_name=name, tags=tags, parent_run_id=parent)
    try:
        yield active
    except BaseException as error:
        status = "KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED"
        with contextlib.suppress(Exception):  # recording must not mask the error itself
            mlflow.set_tag("chainrule.error", f"{type(error).__name__}: {error}"[:5000])
            mlflow.log_text(traceback.format_exc(), "error.txt")
        mlflow.end_run(status)
        raise
    else:
        mlflow.end_run("FINISHED")


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


def prepare(cfg: DictConfig):
    """Data split three ways and a freshly initialised model, or a ConfigError.

    Returns
    -------
    splits : chainrule.data.Splits
    model : MLP or LogisticRegression
    """
    splits = data.splits_for(cfg)
    n_train = len(splits.y["train"])
    if cfg.train.batch_size is not None and cfg.train.batch_size > n_train:
        raise ConfigError(
            f"train.batch_size must be between 1 and the training split's {n_train} rows; got {cfg.train.batch_size}"
        )
    return splits, build_model(cfg.model, splits.X["train"].shape[1], cfg.seed, cfg.train.dtype)


def train(cfg: DictConfig, model, splits, callback=None):
    """Fit ``model`` on the training split, recording the validation loss; returns the History."""
    return fit(
        model, splits.X["train"], splits.y["train"], cfg.train.lr, cfg.train.iterations, cfg.train.batch_size,
        shuffle=cfg.train.shuffle, seed=cfg.seed, l2=cfg.train.l2,
        validation_data=(splits.X["val"], splits.y["val"]), max_loss_factor=cfg.train.max_loss_factor,
        callback=callback,
    )


def score_figures(cfg: DictConfig, name: str, model, splits, proba) -> figure_worker.FigureSpecs:
    """ROC curves, the test confusion matrix and, for two features, the decision boundary
    (as :mod:`chainrule.plots` functions and their data, for :func:`chainrule.figure_worker.log`)."""
    figures = {
        "roc_curve": ("roc_curve", (splits.y, proba, f"{name}: ROC")),
        "confusion_matrix": ("confusion_matrix", (
            splits.y["test"], proba["test"], splits.table.label_names, f"{name}\ntest confusion matrix"
        )),
    }
    features = splits.table.features
    if len(features) == 2:
        predictor = model_io.Predictor.from_parts(model, features, splits.scaler)
        figures["decision_boundary"] = ("decision_boundary", (
            predictor.predict_proba, splits.points(), features, f"{name}: ŷ and the data", cfg.figures.resolution
        ))
    return figures


def run(cfg: DictConfig, project_root: Path, overrides: list[str] | None = None) -> float:
    """Run the configured task and return ``cfg.objective`` (what a sweeper optimises).

    Raises
    ------
    chainrule.config.ConfigError
        Before any MLflow run exists, for bad values or unusable data.
    """
    validate(cfg)
    if cfg.task == "gradient_check":
        return gradient_check(cfg, project_root)
    splits, model = prepare(cfg)

    uri = tracking.resolve_uri(cfg.tracking.uri, project_root)
    experiment_id = tracking.use_store(uri, cfg.tracking.experiment, first=tracking.PARENT_RUN_ENV not in os.environ)
    name = tracking.run_name(cfg)
    tags = {"chainrule.dataset": cfg.dataset.name, "chainrule.model": cfg.model.name, "chainrule.task": cfg.task}
    if commit := tracking.git_commit(project_root):
        tags["mlflow.source.git.commit"] = commit

    with recorded_run(experiment_id, name, tags) as active:
        run_id = active.info.run_id
        log.info("run %s (%s): %s on %s, %d training rows", name, run_id, model, cfg.dataset.name, len(splits.y["train"]))
        tracking.log_params(run_id, tracking.flatten(cfg))
        files = {
            "config.yaml": OmegaConf.to_yaml(cfg, resolve=True),
            "overrides.yaml": OmegaConf.to_yaml(OmegaConf.create(list(overrides or []))),
            "label_mapping.json": json.dumps(splits.table.label_names),  # original label of 0 and of 1
        }
        tracking.log_splits(splits, cfg.dataset.name, splits.table.source if cfg.dataset.name == "csv" else None)

        progress = Progress(cfg.train.iterations, cfg.progress)
        start = time.perf_counter()
        try:
            history = train(cfg, model, splits, callback=progress)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: keep what was learnt about the run
            tracking.log_series(run_id, {"train/loss": progress.train, "val/loss": progress.val})
            mlflow.set_tag("chainrule.interrupted_at", str(len(progress.train)))
            raise
        train_seconds = time.perf_counter() - start
        if not history.diverged:
            proba = {split: model.predict_proba(X) for split, X in splits.X.items()}
            scores, confusion = metrics.evaluate(splits.y, proba)
            model_id = None
            if cfg.tracking.log_model:
                # Before the loss histories: MLflow links every metric already on the run to
                # the new model by re-reading its whole history. The scores are linked below.
                model_id = tracking.log_model(
                    {"model": model, "features": splits.table.features, "scaler": splits.scaler},
                    splits.raw["test"][splits.table.features].head(5),
                    proba["test"][:5],
                )
            mlflow.log_metrics(scores, model_id=model_id)
            files["confusion_matrix.json"] = json.dumps(confusion)
        tracking.log_files(files)
        tracking.log_series(
            run_id, {"train/loss": history.loss, "val/loss": history.val_loss}, {"time/train_seconds": train_seconds}
        )
        figures = {"loss_curve": ("loss_curve", (
            history.loss, history.val_loss, f"{name}: loss per iteration", cfg.figures.log_scale
        ))}
        if not history.diverged:
            figures |= score_figures(cfg, name, model, splits, proba)
        figure_worker.log(figures)
        if history.diverged:
            mlflow.set_tags({"chainrule.diverged": "true", "chainrule.diverged_at": str(history.diverged_at)})
            log.warning("run %s diverged: %s", name, history.reason)
            return float("nan")

    log.info(
        "run %s FINISHED: test/accuracy %.4f, test/roc_auc %.4f, %s %.4f — in the UI (make ui): %s",
        name, scores["test/accuracy"], scores["test/roc_auc"], cfg.objective, scores[cfg.objective],
        tracking.ui_url(uri, experiment_id, run_id),
    )
    return scores[cfg.objective]


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

    uri = tracking.resolve_uri(cfg.tracking.uri, project_root)
    experiment_id = tracking.use_store(uri, cfg.tracking.experiment)
    with recorded_run(experiment_id, "exercise1-gradient-check", {"chainrule.task": "gradient_check"}):
        tracking.log_params(mlflow.active_run().info.run_id, tracking.flatten(cfg))
        mlflow.log_text(table.to_csv(index=False), "gradient_check.csv")
        mlflow.log_metric("gradient_check/max_relative_error", worst)
    log.info("largest relative error %.2e (central differences, eps=%g)", worst, check.eps)
    return worst
