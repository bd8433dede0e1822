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

from chainrule import figure_worker, plots, process, tracking
from chainrule.config import DivergedTrial

log = logging.getLogger("chainrule")


def project_root(config: DictConfig) -> Path:
    """The folder holding ``conf/``: the primary config source's parent."""
    for source in config.hydra.runtime.config_sources:
        if source.provider == "main" and source.schema == "file":
            return Path(source.path).resolve().parent
    return Path.cwd()


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads_per_job(launcher: DictConfig) -> int | None:
    """How many BLAS threads each job of a launcher may use.

    Parameters
    ----------
    launcher : DictConfig
        ``hydra.launcher``. submitit's (``local``, ``slurm``) gives each job ``cpus_per_task``
        CPUs; joblib's shares this machine's cores between ``n_jobs`` workers (-1: all cores).

    Returns
    -------
    int or None
        Threads per job; None for a launcher that runs one job at a time (the basic one), which
        leaves the threads alone: every core is that job's.
    """
    cpus = launcher.get("cpus_per_task")
    if isinstance(cpus, int) and cpus > 0:
        return cpus
    workers = launcher.get("n_jobs")
    if not isinstance(workers, int) or workers in (0, 1):
        return None
    cores = os.cpu_count() or 1
    workers = cores + 1 + workers if workers < 0 else workers  # joblib: -1 = all cores
    return max(1, cores // workers)


def limit_blas_threads(config: DictConfig) -> None:
    """Give each parallel job :func:`blas_threads_per_job` BLAS threads, instead of every job
    taking all the cores (oversubscription).

    Set in this process's environment, which the jobs inherit: joblib's workers and submitit's
    local jobs are its child processes, and ``sbatch`` passes it on to SLURM jobs (its default
    ``--export=ALL``). OpenBLAS reads it once, when a process loads NumPy, so it has to be there
    before the job's process starts. Settings already in the environment win.
    """
    threads = blas_threads_per_job(config.hydra.launcher)
    if threads is not None:
        for variable in BLAS_THREADS:
            os.environ.setdefault(variable, str(threads))


def runs_jobs_here(config: DictConfig) -> bool:
    """True when the launcher runs the jobs one after the other in this process (Hydra's basic one)."""
    return config.hydra.launcher.get("_target_", "").endswith(".BasicLauncher")


def failed_jobs(client: MlflowClient, parent_id: str) -> list[str]:
    """The lines ``on_job_end`` left on the parent run (tags ``chainrule.failed_job.<n>``), in job order."""
    tags = client.get_run(parent_id).data.tags
    prefix = "chainrule.failed_job."
    return [tags[k] for k in sorted((k for k in tags if k.startswith(prefix)), key=lambda k: int(k[len(prefix):]))]


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

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        self.uri = tracking.resolve_uri(config.tracking.uri, project_root(config))
        self.experiment_id = tracking.use_store(self.uri, config.tracking.experiment)
        self.objective = config.objective
        self.base_config = config if "dataset" in config else None  # the jobs' shared settings
        self.keys = swept_keys(config)
        self.searched = "optuna" in str(config.hydra.sweeper.get("_target_", ""))  # trials, not a grid
        limit_blas_threads(config)
        if config.figures.background and runs_jobs_here(config):
            figure_worker.start()  # each run's figures drawn while the next one trains
        overrides = list(config.hydra.overrides.task)
        grid = {str(k): str(v) for k, v in (config.hydra.sweeper.get("params") or {}).items()}
        run = MlflowClient().create_run(
            self.experiment_id,
            run_name=sweep_name(config),
            tags={"chainrule.role": "sweep", "chainrule.overrides": " ".join(overrides)[:5000]} | process.identity(),
        )
        self.parent_id = run.info.run_id
        tracking.log_params(self.parent_id, {f"sweep.{k}": v for k, v in grid.items()})
        os.environ[tracking.PARENT_RUN_ENV] = self.parent_id
        atexit.register(self.finish)
        log.info("sweep parent run %s in %s", run.info.run_name, tracking.ui_url(self.uri, self.experiment_id))

    def on_job_start(self, config: DictConfig, **kwargs) -> None:
        # This runs where the job runs, on a copy of this callback that the launcher pickled after
        # on_multirun_start (joblib worker, submitit job, SLURM node). Jobs normally find the
        # parent run and the store in the environment they inherit; on a node that does not get
        # the sweep's environment (sbatch --export=NONE, a profile of its own) they would log
        # unlinked, or to another store. The copy knows both.
        if self.parent_id is not None:
            os.environ[tracking.PARENT_RUN_ENV] = self.parent_id
            os.environ["MLFLOW_TRACKING_URI"] = self.uri
        process.tune_gc_for_batch()  # in a worker process, which did not start from train.py
        if "submitit" in str(config.hydra.launcher.get("_target_", "")):
            # submitit's job process ignores SIGTERM (it waits for SLURM's USR2 instead), but
            # scancel, a time limit or a preemption send SIGTERM, then SIGKILL: end the run KILLED.
            process.stop_on_signals()

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs) -> None:
        # A job that failed before its MLflow run existed (bad settings, unreadable data) is only
        # known here. This runs wherever the job ran (this process, a joblib worker, a cluster
        # node), so the failure is written to the parent run, where finish() collects it.
        parent = os.environ.get(tracking.PARENT_RUN_ENV)
        error = job_return._return_value  # the exception of a failed job; .return_value would re-raise it
        if job_return.status == JobStatus.FAILED and parent and not isinstance(error, DivergedTrial):
            line = f"{' '.join(job_return.overrides)}: {type(error).__name__}: {error}\n"
            uri = tracking.resolve_uri(config.tracking.uri, project_root(config))
            MlflowClient(uri).set_tag(parent, f"chainrule.failed_job.{config.hydra.job.num}", line[:5000])

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        self.finish(completed=True)

    def finish(self, completed: bool = False) -> None:
        """Summarise the children on the parent and close it; safe to call twice.

        ``completed`` is False when called at exit without Hydra having ended the sweep (a job or
        the sweeper raised, or a signal): the parent is then not FINISHED, whatever its children."""
        if self.parent_id is None:
            return
        parent_id, self.parent_id = self.parent_id, None
        figure_worker.finish(cancel=process.interrupted is not None)
        os.environ.pop(tracking.PARENT_RUN_ENV, None)
        mlflow.set_tracking_uri(self.uri)
        client = MlflowClient()
        status = "FAILED"
        try:
            children = mlflow.search_runs(
                experiment_ids=[self.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'"
            )
            status = summarise(client, parent_id, children, self.objective, self.base_config, self.keys, self.searched)
            failures = failed_jobs(client, parent_id)
            if failures:
                status = "FAILED"
                client.set_tag(parent_id, "chainrule.failed_jobs", str(len(failures)))
                client.log_text(parent_id, "".join(failures), "failed_jobs.txt")
                log.error("%d job(s) of the sweep failed:\n%s", len(failures), "".join(f"  {f}" for f in failures))
            if not completed and status == "FINISHED":
                status = "FAILED"
                client.set_tag(parent_id, "chainrule.incomplete", "the sweep stopped before Hydra ended it")
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


def swept(children: pd.DataFrame) -> list[str]:
    """The ``params.*`` columns whose value differs between the children: what the sweep varied."""
    params = [c for c in children.columns if c.startswith("params.") and c != "params.sweep"]
    return sorted(c for c in params if children[c].nunique(dropna=False) > 1)


def swept_keys(config: DictConfig) -> list[str]:
    """The keys a multirun sweeps (preset ``hydra.sweeper.params`` and ``a=1,2`` on the command line),
    as the run-param columns they show up in: ``model`` → ``params.model.name``."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    keys = [str(k) for k in (config.hydra.sweeper.get("params") or {})]
    parsed = OverridesParser.create().parse_overrides(list(config.hydra.overrides.task))
    keys += [o.get_key_element() for o in parsed if o.is_sweep_override()]
    groups = set(config.hydra.runtime.choices)
    return list(dict.fromkeys(f"params.{k}.name" if k in groups else f"params.{k}" for k in keys))


def _numeric(values: pd.Series):
    converted = pd.to_numeric(values, errors="coerce")
    return converted if converted.notna().all() else values


def sweep_figures(client: MlflowClient, children: pd.DataFrame, objective: str, base_config, keys=None,
                  searched: bool = False) -> dict:
    """The parent's figures: loss curves by learning rate; for width sweeps the score against the
    width (and the decision boundaries side by side for 2-D data); a heat map over two swept keys;
    for a search (``searched``, e.g. Optuna) the objective over the trials."""
    figures = {}
    curves = comparison_curves(client, children)
    if not curves.empty:
        figures["loss_comparison"] = plots.loss_comparison(curves, "Training loss per iteration, by learning rate")
    diverged = children["tags.chainrule.diverged"].eq("true") if "tags.chainrule.diverged" in children else False
    finished = children[(children["status"] == "FINISHED") & ~diverged]
    varied = [k for k in (keys or swept(children)) if k in children and children[k].nunique() > 1]
    if "params.model.hidden_width" in varied and "metrics.test/accuracy" in finished:
        scores = pd.DataFrame({
            "hidden_width": pd.to_numeric(finished["params.model.hidden_width"]),
            "lr": pd.to_numeric(finished["params.train.lr"]),
            "test/accuracy": finished["metrics.test/accuracy"],
        }).dropna()
        if not scores.empty:
            figures["width_comparison"] = plots.width_comparison(scores, "test/accuracy", "Test accuracy by hidden width")
            boundaries = width_boundaries(finished, base_config)
            if boundaries is not None:
                figures["width_boundaries"] = boundaries
    key = f"metrics.{objective}"
    if searched and key in children:
        ordered = children.sort_values("start_time")[key]
        figures["objective_over_trials"] = plots.objective_over_trials(
            ordered.reset_index(drop=True), objective, minimizes(objective), f"Search: {objective} per trial"
        )
    if len(varied) == 2 and key in finished and finished[key].notna().any():
        rows, cols = varied
        grid = finished.assign(**{rows: _numeric(finished[rows]), cols: _numeric(finished[cols])})
        table = grid.pivot_table(index=rows, columns=cols, values=key, aggfunc="mean")
        table.index.name, table.columns.name = rows.removeprefix("params."), cols.removeprefix("params.")
        figures["heatmap"] = plots.heatmap(table, objective, f"{objective} over {table.index.name} × {table.columns.name}")
    return figures


def width_boundaries(finished: pd.DataFrame, base_config):
    """Decision boundaries of each width's model side by side, on the sweep's data (2-D data, one
    learning rate and one dataset in the sweep only — otherwise the panels would not compare)."""
    if base_config is None or finished.get("params.train.lr", pd.Series()).nunique() != 1 or finished.empty:
        return None
    from chainrule import data  # the data only when this figure is drawn

    splits = data.splits_for(base_config)
    features = splits.table.features
    if len(features) != 2:
        return None
    panels = []
    for _, child in finished.sort_values("params.model.hidden_width", key=pd.to_numeric).iterrows():
        model = mlflow.pyfunc.load_model(f"runs:/{child['run_id']}/model").unwrap_python_model()
        panels.append((f"H = {child['params.model.hidden_width']}", model.predictor.predict_proba))
    return plots.boundaries_side_by_side(panels, splits.points(), features, "Decision boundaries by hidden width")


def summarise(client: MlflowClient, parent_id: str, children: pd.DataFrame, objective: str, base_config=None,
              keys=None, searched: bool = False) -> str:
    """Log the summary table, the comparison figure and the best child; return the parent's status."""
    if children.empty:
        client.set_tag(parent_id, "chainrule.children", "0")
        return "FAILED"
    columns = ["run_id", "tags.mlflow.runName", "status"]
    columns += sorted(c for c in children.columns if c.startswith(("params.model.", "params.train.", "params.dataset.")))
    columns += sorted(c for c in children.columns if c.startswith("metrics.") and not c.startswith("metrics.time/"))
    table = children[columns].rename(columns={"tags.mlflow.runName": "run_name"})
    client.log_text(parent_id, table.to_csv(index=False), "sweep_summary.csv")

    for name, figure in sweep_figures(client, children, objective, base_config, keys, searched).items():
        client.log_figure(parent_id, figure, f"figures/{name}.png")

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
