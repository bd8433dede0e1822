"""One MLflow parent run per Hydra multirun, with every job a child run under it.

:class:`MlflowSweep` is a Hydra callback (``hydra.callbacks`` in ``conf/config.yaml``). In the
launching process, before any job, it initialises the store and creates the parent run — so
parallel workers never race to create either. When the sweep ends it gives the parent the
comparison figure, a summary table and the best child, and closes it. Hydra skips
``on_multirun_end`` when a job failed, so the same finishing step is also registered with
``atexit``: the parent never stays RUNNING.
"""

from __future__ import annotations

import atexit
import logging
import os
import time
from pathlib import Path

import mlflow
import pandas as pd
from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from mlflow import MlflowClient
from omegaconf import DictConfig

from chainrule import plots, process, tracking

log = logging.getLogger("chainrule")


def project_root(config: DictConfig) -> Path:
    """The folder holding ``conf/``: the primary config source's parent."""
    for source in config.hydra.runtime.config_sources:
        if source.provider == "main" and source.schema == "file":
            return Path(source.path).resolve().parent
    return Path.cwd()


def minimizes(metric: str) -> bool:
    """Losses and the Brier score are better small; every other score is better large."""
    return metric.endswith(("loss", "brier"))


def sweep_name(config: DictConfig) -> str:
    choices = config.hydra.runtime.choices
    named = choices.get("experiment") or choices.get("sweep") or "sweep"
    return f"{named}-{time.strftime('%Y%m%d-%H%M%S')}"


class MlflowSweep(Callback):
    """Parent run of a sweep: created before the first job, finished after the last."""

    def __init__(self) -> None:
        self.parent_id: str | None = None
        self.failures: list[tuple[str, str]] = []  # (overrides, error) of jobs that raised

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        self.uri = tracking.resolve_uri(config.tracking.uri, project_root(config))
        self.experiment_id = tracking.use_store(self.uri, config.tracking.experiment)
        self.objective = config.objective
        overrides = list(config.hydra.overrides.task)
        swept = {str(k): str(v) for k, v in (config.hydra.sweeper.get("params") or {}).items()}
        run = MlflowClient().create_run(
            self.experiment_id,
            run_name=sweep_name(config),
            tags={"chainrule.role": "sweep", "chainrule.overrides": " ".join(overrides)[:5000]} | process.identity(),
        )
        self.parent_id = run.info.run_id
        tracking.log_params(self.parent_id, {f"sweep.{k}": v for k, v in swept.items()})
        os.environ[tracking.PARENT_RUN_ENV] = self.parent_id
        atexit.register(self.finish)
        log.info("sweep parent run %s in %s", run.info.run_name, tracking.ui_url(self.uri, self.experiment_id))

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs) -> None:
        # Runs in the launching process with the basic launcher; a job that failed before its
        # MLflow run existed (bad settings, unreadable data) is only known from here.
        if job_return.status == JobStatus.FAILED:
            error = job_return._return_value  # the exception; .return_value would re-raise it
            self.failures.append((" ".join(job_return.overrides), f"{type(error).__name__}: {error}"))

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        self.finish()

    def finish(self) -> None:
        """Summarise the children on the parent and close it; safe to call twice."""
        if self.parent_id is None:
            return
        parent_id, self.parent_id = self.parent_id, None
        os.environ.pop(tracking.PARENT_RUN_ENV, None)
        mlflow.set_tracking_uri(self.uri)
        client = MlflowClient()
        status = "FAILED"
        try:
            children = mlflow.search_runs(
                experiment_ids=[self.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'"
            )
            status = summarise(client, parent_id, children, self.objective)
            if self.failures:
                status = "FAILED"
                listing = "\n".join(f"  {overrides}: {error}" for overrides, error in self.failures)
                client.set_tag(parent_id, "chainrule.failed_jobs", str(len(self.failures)))
                client.log_text(parent_id, listing + "\n", "failed_jobs.txt")
                log.error("%d job(s) of the sweep failed:\n%s", len(self.failures), listing)
        finally:
            if process.interrupted:
                status = "KILLED"
                client.set_tag(parent_id, "chainrule.interrupted", process.interrupted)
            client.set_terminated(parent_id, status)
        log.info("sweep %s ended %s: %s", parent_id, status, tracking.ui_url(self.uri, self.experiment_id, parent_id))


def comparison_curves(client: MlflowClient, children: pd.DataFrame) -> pd.DataFrame:
    """Every child's training-loss history, one panel per model, one line per learning rate.

    Returns
    -------
    DataFrame
        Columns ``panel``, ``label``, ``order``, ``step``, ``loss``; the label of a run that
        diverged ends in "(diverged)".
    """
    widths = children.get("params.model.hidden_width", pd.Series(dtype=object)).dropna().unique()
    rows = []
    for _, child in children.iterrows():
        lr = float(child.get("params.train.lr", "nan"))
        label = f"α = {lr:g}"
        if len(widths) > 1 and pd.notna(child.get("params.model.hidden_width")):
            label += f", H = {child['params.model.hidden_width']}"
        if child.get("tags.chainrule.diverged") == "true":
            label += " (diverged)"
        history = client.get_metric_history(child["run_id"], "train/loss")
        rows += [
            {"panel": child.get("params.model.name", "?"), "label": label, "order": lr, "step": p.step, "loss": p.value}
            for p in history
        ]
    return pd.DataFrame(rows, columns=["panel", "label", "order", "step", "loss"])


def summarise(client: MlflowClient, parent_id: str, children: pd.DataFrame, objective: str) -> str:
    """Log the summary table, the comparison figure and the best child; return the parent's status."""
    if children.empty:
        client.set_tag(parent_id, "chainrule.children", "0")
        return "FAILED"
    columns = ["run_id", "tags.mlflow.runName", "status"]
    columns += sorted(c for c in children.columns if c.startswith(("params.model.", "params.train.", "params.dataset.")))
    columns += sorted(c for c in children.columns if c.startswith("metrics.") and not c.startswith("metrics.time/"))
    table = children[columns].rename(columns={"tags.mlflow.runName": "run_name"})
    client.log_text(parent_id, table.to_csv(index=False), "sweep_summary.csv")

    curves = comparison_curves(client, children)
    if not curves.empty:
        figure = plots.loss_comparison(curves, "Training loss per iteration, by learning rate")
        client.log_figure(parent_id, figure, "figures/loss_comparison.png")

    key = f"metrics.{objective}"
    finished = children[children["status"] == "FINISHED"]
    if key in finished and finished[key].notna().any():
        best = finished.loc[finished[key].idxmin() if minimizes(objective) else finished[key].idxmax()]
        client.set_tag(parent_id, "chainrule.best_run_id", best["run_id"])
        client.set_tag(parent_id, "chainrule.best_run_name", best["tags.mlflow.runName"])
        client.log_metric(parent_id, f"best/{objective}", float(best[key]))
    failed = int((children["status"] != "FINISHED").sum())
    client.set_tag(parent_id, "chainrule.children", str(len(children)))
    client.set_tag(parent_id, "chainrule.failed_children", str(failed))
    if (children["status"] == "KILLED").any():
        return "KILLED"
    return "FINISHED" if failed == 0 else "FAILED"
