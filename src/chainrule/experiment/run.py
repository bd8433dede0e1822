"""One run of the pipeline: load → split → scale → build → fit → score → log.

:func:`run` is what ``pipelines/train.py`` calls for every Hydra job. Everything that can be
wrong with the configuration or the data is found before an MLflow run is created; once a
run exists, it ends FINISHED, FAILED (exception, recorded on the run) or KILLED (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path

import mlflow
from omegaconf import DictConfig, OmegaConf

from chainrule.core import GradientFlow, fit
from chainrule.errors import ConfigError
from chainrule.experiment import data, metrics, training_views
from chainrule.experiment import how_it_trained as how
from chainrule.experiment.checks import drop_what_does_not_apply, validate
from chainrule.experiment.factory import build_model, build_optimizer
from chainrule.experiment.figures import run_figures
from chainrule.experiment.gradient_check import gradient_check
from chainrule.experiment.progress import Progress
from chainrule.plots import helper
from chainrule.plots.specs import SeriesSpec
from chainrule.tracking import PARENT_RUN_ENV, logged_model, records, runs, store, uris

log = logging.getLogger("chainrule")


def prepare(cfg: DictConfig):
    """Data split three ways and a freshly initialised model, or a ConfigError.

    Returns
    -------
    splits : chainrule.experiment.data.Splits
    model : MLP or LogisticRegression
    """
    splits = data.splits_for(cfg)
    if cfg.objective not in metrics.recorded(splits.table.n_classes):
        kind = "two-class" if splits.table.n_classes == 2 else f"{splits.table.n_classes}-class"
        raise ConfigError(
            f"objective: a {kind} run on {cfg.dataset.name} does not record {cfg.objective!r}; it records "
            f"{', '.join(metrics.recorded(splits.table.n_classes))}"
        )
    n_train = len(splits.y["train"])
    if cfg.train.batch_size is not None and cfg.train.batch_size > n_train:
        raise ConfigError(
            f"train.batch_size must be between 1 and the training split's {n_train} rows; got {cfg.train.batch_size}"
        )
    return splits, build_model(cfg.model, splits.X["train"].shape[1], cfg.seed, cfg.train.dtype, splits.table.n_classes)


def train(cfg: DictConfig, model, splits, callback=None, gradient_flow=None):
    """Fit ``model`` on the training split, recording the validation loss; returns the History.

    ``gradient_flow`` (a :class:`chainrule.core.GradientFlow`) records the gradients' flow on the way."""
    t = cfg.train
    return fit(
        model, splits.X["train"], splits.y["train"], t.lr, t.iterations, t.batch_size,
        optimizer=build_optimizer(cfg.optimizer), schedule=t.schedule, power_t=t.power_t,
        n_iter_no_change=t.patience, tol=t.tol, early_stopping=t.monitor if t.early_stopping else False,
        shuffle=t.shuffle, seed=cfg.seed, l1=t.l1, l2=t.l2,
        validation_data=(splits.X["val"], splits.y["val"]), max_loss_factor=t.max_loss_factor,
        callback=callback, gradient_flow=gradient_flow,
    )


def _each(*callbacks):
    """One ``fit`` callback calling each of ``callbacks`` that is not None, in order."""
    chosen = [c for c in callbacks if c is not None]
    return chosen[0] if len(chosen) == 1 else lambda *args: [c(*args) for c in chosen]


def run(cfg: DictConfig, project_root: Path, overrides: list[str] | None = None) -> float:
    """Run the configured task and return ``cfg.objective`` (what a sweeper optimises).

    Raises
    ------
    chainrule.errors.ConfigError
        Before any MLflow run exists, for bad values or unusable data.
    """
    validate(cfg)
    not_applying = drop_what_does_not_apply(cfg)
    if cfg.task == "gradient_check":
        return gradient_check(cfg, project_root)
    splits, model = prepare(cfg)
    with figures_beside(cfg) as own_helper:
        return _record(cfg, project_root, overrides, not_applying, splits, model, own_helper)


@contextlib.contextmanager
def figures_beside(cfg: DictConfig):
    """A single run's figures drawn by a helper process while the run logs its model and
    histories (a sequential sweep's callback starts one for all its jobs; a joblib or submitit
    worker draws its own, beside the other workers). Yields whether this run started it.

    The helper is forked here, before the store is opened, while this process has one thread;
    it imports matplotlib while the model trains. The run waits for it before it ends.
    """
    own = cfg.figures.background and PARENT_RUN_ENV not in os.environ and not helper.started()
    if own:
        helper.start("fork")
    try:
        yield own
    except BaseException:
        if own:
            helper.finish(cancel=True)
        raise
    if own:
        helper.finish()


def _record(cfg: DictConfig, project_root: Path, overrides, not_applying, splits, model, own_helper: bool) -> float:
    """Train ``model`` and score it in a new MLflow run; the objective (NaN if training diverged)."""
    uri = store.resolve_uri(cfg.tracking.uri, project_root)
    experiment_id = store.use_store(uri, cfg.tracking.experiment, first=PARENT_RUN_ENV not in os.environ)
    name = runs.run_name(cfg)
    tags = {"chainrule.dataset": cfg.dataset.name, "chainrule.model": cfg.model.name, "chainrule.task": cfg.task}
    if commit := runs.git_commit(project_root):
        tags["mlflow.source.git.commit"] = commit

    with runs.recorded_run(experiment_id, name, tags, cfg.tracking.experiment) as active:
        run_id = active.info.run_id
        log.info("run %s (%s): %s on %s, %d training rows", name, run_id, model, cfg.dataset.name, len(splits.y["train"]))
        params = records.flatten(cfg)
        records.log_params(run_id, {k: v for k, v in params.items() if k not in not_applying})
        files = {
            "config.yaml": OmegaConf.to_yaml(cfg, resolve=True),
            "overrides.yaml": OmegaConf.to_yaml(OmegaConf.create(list(overrides or []))),
            "label_mapping.json": json.dumps(splits.table.label_names),  # original label of each class code
        }
        records.log_splits(splits, cfg.dataset.name, splits.table.source if cfg.dataset.name == "csv" else None)

        progress = Progress(cfg.train.iterations, cfg.progress)
        start = time.perf_counter()
        flow = GradientFlow() if cfg.figures.gradient_flow else None
        snapshots = training_views.recorder(cfg, model, splits)
        try:
            history = train(cfg, model, splits, callback=_each(progress, snapshots), gradient_flow=flow)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: keep what was learnt about the run
            records.log_series(run_id, {"train/loss": progress.train, "val/loss": progress.val})
            mlflow.set_tag("chainrule.interrupted_at", str(len(progress.train)))
            raise
        train_seconds = time.perf_counter() - start
        proba = None
        if not history.diverged:
            proba = {split: model.predict_proba(X) for split, X in splits.X.items()}
            scores, confusion = metrics.evaluate(splits.y, proba, splits.table.label_names)
        # First the figures: with a helper, they are drawn while the model and histories are logged
        figures = run_figures(cfg, name, history, model, splits, proba, flow, snapshots)
        helper.draw(figures, *records.figure_delivery(images=any(isinstance(f, SeriesSpec) for f in figures)))
        if not history.diverged:
            model_id = None
            if cfg.tracking.log_model:
                # Before the loss histories: MLflow links every metric already on the run to
                # the new model by re-reading its whole history. The scores are linked below.
                model_id = logged_model.log_model(
                    {"model": model, "features": splits.table.features, "scaler": splits.scaler,
                     "label_names": splits.table.label_names, "derived": splits.derived,
                     "target": splits.table.target},
                    splits.raw["test"][splits.table.features].head(5),
                )
            mlflow.log_metrics(scores, model_id=model_id)
            files["confusion_matrix.json"] = json.dumps(confusion)
        records.log_files(files)
        records.log_series(
            run_id, {"train/loss": history.loss, "val/loss": history.val_loss, **how.rate_changes(cfg, history), **how.flow_metrics(flow)},
            {"time/train_seconds": train_seconds},
        )
        mlflow.set_tags(how.stopping_tags(cfg, history))
        if own_helper:
            helper.finish()  # the run's figures, all delivered (or their failure tagged) before it ends
        if history.diverged:
            mlflow.set_tags({"chainrule.diverged": "true", "chainrule.diverged_at": str(history.diverged_at)})
            log.warning("run %s diverged: %s", name, history.reason)
            return float("nan")

    log.info(
        "run %s FINISHED: test/accuracy %.4f, test/roc_auc %.4f, %s %.4f — in the UI (make ui): %s",
        name, scores["test/accuracy"], scores["test/roc_auc"], cfg.objective, scores[cfg.objective],
        uris.ui_url(uri, experiment_id, run_id),
    )
    return scores[cfg.objective]
