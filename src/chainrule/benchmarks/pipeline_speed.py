"""Wall-clock costs of the pipeline: `make run`, per-run overhead in a sweep, logging a history.

Everything runs against throw-away stores in a temp folder, as real subprocesses.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from mlflow import MlflowClient

from chainrule.tracking import records


def _uri(folder: Path) -> str:
    """The throw-away embedded store in ``folder``."""
    return f"sqlite:///{folder / 'mlflow.db'}"


def _env(uri: str) -> dict[str, str]:
    env = dict(os.environ)
    env["MLFLOW_TRACKING_URI"] = uri
    return env


def _timed(command: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def make_run(project_root: Path, repeats: int) -> list[dict]:
    """``make run`` on a fresh store, then again on that (now existing) store, ``repeats`` times."""
    fresh, existing = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            command = ["make", "--no-print-directory", "run", f"ARGS=hydra.run.dir={folder / 'out'}"]
            fresh.append(_timed(command, project_root, _env(_uri(folder))))
            existing.append(_timed(command, project_root, _env(_uri(folder))))
    return [
        {"measure": "make run, fresh store", "seconds": statistics.median(fresh), "target": 8.0},
        {"measure": "make run, existing store", "seconds": statistics.median(existing), "target": 6.0},
    ]


def _child_runs(client: MlflowClient) -> list:
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments) if experiments else []
    return [r for r in runs if "mlflow.parentRunId" in r.data.tags]


def views_cost(project_root: Path, views_off: list[str], repeats: int) -> list[dict]:
    """The default run (``make run``'s config) with every view of how it trained, as it runs by
    default, and with ``views_off``, alternating into one existing store, ``repeats`` times; the
    median of the pairs' differences."""
    command = [sys.executable, str(project_root / "pipelines" / "train.py"), "progress=0"]
    walls = {"all": [], "none": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = _env(_uri(folder))
        _timed([*command, *views_off, f"hydra.run.dir={folder / 'out'}"], folder, env)  # the store, created
        for _ in range(repeats):
            for views, extra in (("all", []), ("none", views_off)):
                walls[views].append(_timed([*command, *extra, f"hydra.run.dir={folder / 'out'}"], folder, env))
    return [
        {"measure": f"single run (default: moons), every view, median of {repeats}", "seconds": statistics.median(walls["all"]),
         "target": None},
        {"measure": "same run, no view of how it trained", "seconds": statistics.median(walls["none"]), "target": None},
        {"measure": "  extra for every view (median of the pairs' differences)",
         "seconds": statistics.median(a - n for a, n in zip(walls["all"], walls["none"])), "target": 1.0},
    ]


def sweep_times(project_root: Path, folder: Path, overrides: list[str], uri: str | None = None,
                env_extra: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall time, Σ pure training time and number of runs of one sweep run in ``folder``.

    The runs go to ``uri`` (a tracking server, say), by default to ``folder``'s own SQLite store;
    ``env_extra`` is added to the sweep's environment (``SLURM_CONF``, say).
    """
    uri = uri or _uri(folder)
    # Listing the runs of a store not created yet would create it, outside the timed sweep.
    fresh = uri == _uri(folder) and not (folder / "mlflow.db").exists()
    before = set() if fresh else {r.info.run_id for r in _child_runs(MlflowClient(uri))}
    command = [
        sys.executable, str(project_root / "pipelines" / "train.py"), "-m", *overrides, "progress=0",
        f"hydra.sweep.dir={folder / 'multirun'}",
    ]
    wall = _timed(command, folder, _env(uri) | (env_extra or {}))
    children = [r for r in _child_runs(MlflowClient(uri)) if r.info.run_id not in before]
    return wall, sum(r.data.metrics["time/train_seconds"] for r in children), len(children)


def sweep_overhead(project_root: Path, overrides: list[str], repeats: int) -> list[dict]:
    """Per-run overhead of a sweep, (wall time − Σ pure training time) / runs: once into a
    fresh store, then ``repeats`` times into that existing store (the median is reported)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = sweep_times(project_root, Path(tmp), overrides)
        existing = sorted((sweep_times(project_root, Path(tmp), overrides) for _ in range(repeats)), key=lambda r: (r[0] - r[1]) / r[2])
    rows = []
    for label, (wall, training, runs) in [("fresh store", fresh), (f"existing store, median of {repeats}", existing[len(existing) // 2])]:
        rows.append({"measure": f"sweep of {runs} runs, {label}: wall time", "seconds": wall, "target": None})
        rows.append({"measure": "  of which pure training", "seconds": training, "target": None})
        rows.append({"measure": "  overhead per run", "seconds": (wall - training) / runs, "target": 0.5})
    return rows


def parallel_speedup(project_root: Path, overrides: list[str], jobs: int, repeats: int) -> list[dict]:
    """The same sweep with the basic launcher and with joblib on ``jobs`` workers, one after the
    other, ``repeats`` times (fresh stores all): median wall times and the median of the pairs' ratios."""
    launchers = {"basic launcher": [], f"joblib, {jobs} workers": ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={jobs}"]}
    walls = {name: [] for name in launchers}
    for _ in range(repeats):
        for name, extra in launchers.items():
            with tempfile.TemporaryDirectory() as tmp:
                wall, training, runs = sweep_times(project_root, Path(tmp), [*overrides, *extra])
                walls[name].append(wall)
    (basic, b_walls), (parallel, p_walls) = walls.items()
    return [
        {"measure": f"sweep of {runs} runs of {training / runs:.1f} s training each, {basic}, median of {repeats}",
         "seconds": statistics.median(b_walls), "target": None},
        {"measure": f"same sweep, {parallel}", "seconds": statistics.median(p_walls), "target": None},
        {"measure": "  parallel speed-up (median of the pairs' ratios)",
         "seconds": statistics.median(b / p for b, p in zip(b_walls, p_walls)), "target": None, "at_least": 1.7},
    ]



def history_logging(steps: int, repeats: int) -> list[dict]:
    """Logging train/loss and val/loss of ``steps`` iterations each, as a run does."""
    with tempfile.TemporaryDirectory() as tmp:
        client = MlflowClient(f"sqlite:///{Path(tmp) / 'mlflow.db'}")
        experiment = client.create_experiment("bench", artifact_location=str(Path(tmp) / "artifacts"))
        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{Path(tmp) / 'mlflow.db'}")
        series = {"train/loss": np.linspace(1, 0, steps), "val/loss": np.linspace(1, 0.1, steps)}
        times = []
        for _ in range(repeats):
            run_id = client.create_run(experiment).info.run_id
            start = time.perf_counter()
            records.log_series(run_id, series)
            times.append(time.perf_counter() - start)
    return [{"measure": f"log a {steps}-step history (train + val)", "seconds": statistics.median(times), "target": 0.1}]


def figure_helper_saving(project_root: Path, overrides: list[str], jobs: int, repeats: int) -> list[dict]:
    """What the forkserver figure helper saves a joblib sweep: the same sweep with its own figures
    drawn by the helper (``figures.background=true``, forked from the workers' server, matplotlib
    loaded) and drawn in place by the launching process (``false``: it imports matplotlib for them),
    alternating, ``repeats`` times; the median of the pairs' differences."""
    joblib = ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={jobs}"]
    walls = {"true": [], "false": []}
    for _ in range(repeats):
        for background in walls:
            with tempfile.TemporaryDirectory() as tmp:
                walls[background].append(sweep_times(project_root, Path(tmp), [*overrides, *joblib,
                                                                                 f"figures.background={background}"])[0])
    return [
        {"measure": f"joblib sweep ({jobs} workers), its figures by the forkserver helper, median of {repeats}",
         "seconds": statistics.median(walls["true"]), "target": None},
        {"measure": "same sweep, its figures drawn in the launching process", "seconds": statistics.median(walls["false"]),
         "target": None},
        {"measure": "  saved by the forkserver helper (median of the pairs' differences)",
         "seconds": statistics.median(f - t for t, f in zip(walls["true"], walls["false"])), "target": None, "at_least": 0.3},
    ]


def run(project_root: Path, repeats: int, sweep_overrides: list[str], history_steps: int,
        parallel_overrides: list[str], parallel_jobs: int, helper_overrides: list[str], views_off: list[str]) -> pd.DataFrame:
    rows = history_logging(history_steps, repeats) + make_run(project_root, repeats)
    rows += views_cost(project_root, views_off, repeats)
    rows += sweep_overhead(project_root, sweep_overrides, repeats)
    rows += parallel_speedup(project_root, parallel_overrides, parallel_jobs, repeats)
    rows += figure_helper_saving(project_root, helper_overrides, parallel_jobs, repeats)
    return table(rows)


def table(rows: list[dict]) -> pd.DataFrame:
    """The printed table: each row's ``target`` (at most, in seconds) or ``at_least`` (a ratio)
    becomes a readable target and a ``met`` column; seconds are rounded to milliseconds."""
    for row in rows:
        at_least = row.pop("at_least", None)
        if at_least is not None:
            row["met"], row["target"] = row["seconds"] >= at_least, f">= {at_least:g}"
        else:
            row["met"] = row["target"] is None or row["seconds"] <= row["target"]
            row["target"] = "" if row["target"] is None else f"<= {row['target']:g}"
        row["seconds"] = round(row["seconds"], 3)
    return pd.DataFrame(rows)
