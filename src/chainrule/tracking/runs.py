"""One MLflow run's life: its name, its tags, and its end — FINISHED, FAILED or KILLED, always."""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import traceback
from pathlib import Path

import mlflow
from omegaconf import DictConfig

from chainrule.runtime import process
from chainrule.tracking import PARENT_RUN_ENV, access


def run_name(cfg: DictConfig) -> str:
    """What ran, readable in the UI's run table: ``mlp-w3-relu-lr0.1-moons`` (the seed's network
    and gradient descent), ``mlp-w16x8-relu-adam-lr0.001-moons``, ``logistic-lr0.1-moons``."""
    model = cfg.model
    parts = [model.name]
    if model.name == "mlp":
        widths = model.hidden_widths or [model.hidden_width]
        parts += ["w" + "x".join(map(str, widths)), model.activation]
    if cfg.optimizer.name != "gd":
        parts.append(cfg.optimizer.name)
    return "-".join([*parts, f"lr{cfg.train.lr:g}", cfg.dataset.name])


@functools.cache  # once per process: every job of a sweep runs the code that process loaded
def git_commit(project_root: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project_root, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@contextlib.contextmanager
def recorded_run(experiment_id: str, name: str, tags: dict[str, str], experiment_name: str | None = None):
    """An active MLflow run that always ends: FINISHED, FAILED with the error recorded, or KILLED.

    A job started by a sweep (``$CHAINRULE_PARENT_RUN_ID`` set) becomes that run's child. A server
    that refuses the run (a user allowed only to read ``experiment_name``) raises StoreError: no run
    exists then, and nothing was trained yet.
    """
    tags = tags | process.identity()  # lets a later start recognise this run if the process dies
    parent = os.environ.get(PARENT_RUN_ENV)
    if parent:
        tags = tags | {"chainrule.sweep": parent}
    with access.explained(mlflow.get_tracking_uri(), experiment_name or experiment_id):
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
