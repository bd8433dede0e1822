"""`make report`: which setting won, and by how much — one table row per run, from MLflow."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from chainrule.errors import ConfigError
from chainrule.experiment.checks import validate_report
from chainrule.experiment.metrics import OBJECTIVES
from chainrule.sweeps.summary import minimizes, swept
from chainrule.tracking import store, uris

SCORES = ["test/accuracy", "test/roc_auc", "test/log_loss", "val/log_loss"]
MULTICLASS_SCORES = ["test/f1_macro", "test/recall_macro"]  # shown when some run has K ≥ 3 classes


def latest_sweep(experiment_id: str) -> pd.Series | None:
    """The most recently started sweep parent of the experiment, or None."""
    parents = mlflow.search_runs(
        [experiment_id], filter_string="tags.`chainrule.role` = 'sweep'", order_by=["attributes.start_time DESC"], max_results=1
    )
    return None if parents.empty else parents.iloc[0]


def select(client: MlflowClient, experiment_id: str, parent: str | None, all_runs: bool) -> tuple[pd.Series | None, pd.DataFrame]:
    """The parent run (if any) and the runs to report: a sweep's children, or every training run."""
    if not all_runs:
        if parent is None:
            found = latest_sweep(experiment_id)
        else:
            found = _sweep_parent(client, experiment_id, parent)
        if found is not None:
            children = mlflow.search_runs([experiment_id], filter_string=f"tags.mlflow.parentRunId = '{found['run_id']}'")
            return found, children
    runs = mlflow.search_runs([experiment_id], filter_string="tags.`chainrule.task` = 'train'")
    return None, runs


def _sweep_parent(client: MlflowClient, experiment_id: str, run_id: str) -> pd.Series:
    """The run ``parent=`` names, as a row of ``mlflow.search_runs``; ConfigError if it is not a run of the experiment."""
    if not re.fullmatch(r"[0-9a-f]{32}", run_id):
        raise ConfigError(f"parent must be a run id (32 hexadecimal characters, e.g. from the sweep's log); got {run_id!r}")
    try:
        run = client.get_run(run_id)
    except MlflowException:
        run = None
    if run is None or run.info.experiment_id != experiment_id:
        raise ConfigError(f"parent: no run {run_id!r} in this experiment")
    return mlflow.search_runs([experiment_id], filter_string=f"attributes.run_id = '{run_id}'").iloc[0]


def table(runs: pd.DataFrame, metric: str, rows: int) -> pd.DataFrame:
    """One row per run: name, status, the swept parameters, the scores, duration; best first.

    Runs without the metric (failed, diverged, killed) come last, with their status shown.
    """
    if runs.empty:
        return pd.DataFrame(columns=["run", "status"])
    out = pd.DataFrame({"run": runs.get("tags.mlflow.runName"), "status": runs["status"]})
    for column in swept(runs):
        out[column.removeprefix("params.")] = runs[column]
    multiclass = [name for name in MULTICLASS_SCORES if f"metrics.{name}" in runs]
    for name in dict.fromkeys([metric, *SCORES, *multiclass]):
        out[name] = runs[f"metrics.{name}"] if f"metrics.{name}" in runs else float("nan")
    if "tags.chainrule.diverged" in runs:
        out["diverged"] = runs["tags.chainrule.diverged"].eq("true")
    # A run still RUNNING has no end time yet: its duration is left blank.
    ended = pd.to_datetime(runs["end_time"], utc=True) - pd.to_datetime(runs["start_time"], utc=True)
    out["duration_s"] = ended.dt.total_seconds().round(2)
    out["run_id"] = runs["run_id"]
    ordered = out.sort_values(metric, ascending=minimizes(metric), na_position="last", kind="stable")
    return ordered.head(rows).reset_index(drop=True)


def winner(report: pd.DataFrame, metric: str) -> str:
    """One sentence: the best run and its margin over the runner-up."""
    ranked = report.dropna(subset=[metric]) if metric in report else report.iloc[0:0]
    if ranked.empty:
        return f"No run has {metric}."
    best = ranked.iloc[0]
    sentence = f"Best: {best['run']} with {metric} = {best[metric]:.4g}"
    if len(ranked) > 1:
        second = ranked.iloc[1]
        sentence += f", {abs(best[metric] - second[metric]):.4g} {'below' if minimizes(metric) else 'above'} the runner-up {second['run']} ({second[metric]:.4g})"
    return sentence + "."


def write(report: pd.DataFrame, folder: Path, name: str, title: str) -> tuple[Path, Path]:
    """Write the table as Markdown (with a title line) and CSV; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    markdown, csv = folder / f"{name}.md", folder / f"{name}.csv"
    markdown.write_text(f"# {title}\n\n{report.to_markdown(index=False, floatfmt='.4g')}\n")
    report.to_csv(csv, index=False)
    return markdown, csv


def check_metric(metric: str, runs: pd.DataFrame) -> None:
    """``metric`` must be a score runs record, or a metric some of ``runs`` have."""
    recorded = sorted(c.removeprefix("metrics.") for c in runs.columns if c.startswith("metrics."))
    known = list(dict.fromkeys([*OBJECTIVES, *recorded]))
    if metric not in known:
        hint = difflib.get_close_matches(metric, known, n=1)
        raise ConfigError(f"metric must be one of {', '.join(known)}{f' (did you mean {hint[0]}?)' if hint else ''}; "
                          f"got {metric!r}")


def open_existing_store(uri: str) -> MlflowClient:
    """A client for a store that holds runs already: a report never creates one (``open_store`` would)."""
    db = uris.sqlite_path(uri)
    if db is not None and not db.exists():
        raise ConfigError(f"no store at {str(db)!r}: nothing has been run there yet (make run), "
                          "or point tracking.uri (MLFLOW_TRACKING_URI) at the store to report on")
    return store.open_store(uri)


def run(cfg, project_root: Path) -> pd.DataFrame:
    """Build, print, write and (for a sweep) log the report that ``cfg`` describes."""
    validate_report(cfg)
    uri = store.resolve_uri(cfg.tracking.uri, project_root)
    mlflow.set_tracking_uri(uri)
    client = open_existing_store(uri)
    experiment = client.get_experiment_by_name(cfg.tracking.experiment)
    if experiment is None:
        raise ConfigError(f"tracking.experiment: no experiment {cfg.tracking.experiment!r} in {uris.masked(uri)}")
    store.check_not_deleted(experiment, uri)
    parent, runs = select(client, experiment.experiment_id, cfg.parent, cfg.all_runs)
    check_metric(cfg.metric, runs)
    report = table(runs, cfg.metric, cfg.rows)
    if parent is not None:
        name, title = parent["tags.mlflow.runName"], f"Sweep {parent['tags.mlflow.runName']} ({parent['run_id']})"
    else:
        name, title = f"{cfg.tracking.experiment}-all-runs", f"All runs of experiment {cfg.tracking.experiment}"
    title += f": {len(runs)} runs, sorted by {cfg.metric} ({'lower' if minimizes(cfg.metric) else 'higher'} is better)"
    folder = Path(cfg.output_dir) if Path(cfg.output_dir).is_absolute() else project_root / cfg.output_dir
    verdict = winner(report, cfg.metric)
    markdown, csv = write(report, folder, name, f"{title}\n\n{verdict}")
    print(title)
    print(verdict)
    print(report.to_string(index=False) if not report.empty else "(no runs)")
    print(f"written: {markdown} and {csv}")
    if parent is not None:
        MlflowClient(uri).log_artifact(parent["run_id"], str(markdown), "report")
        MlflowClient(uri).log_artifact(parent["run_id"], str(csv), "report")
        print(f"logged to the sweep's parent run: {uris.ui_url(uri, experiment.experiment_id, parent['run_id'])}")
    return report
