"""The team server under load: N pipeline processes at once (:mod:`.load_clients`) into each
target — the embedded SQLite store, ``make server`` over SQLite, over PostgreSQL — side by side in
one bench run, every run read back and checked (:mod:`.load_checks`) before its times count.

A client's overhead is its wall time (process start to exit) less its pure training time
(``time/train_seconds``); a batch's is the median over its clients. With eight clients on a few
cores most of it is waiting for a core (imports included), alike for every target; the part inside
the run (its end − start − training: opening the run, params, datasets, model, figures, histories)
is where the store itself shows. Points per second are the
metric points read back from the batch's runs over the batch's wall time. Servers start before
the first batch and stop after the last; their start-up is not timed.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from mlflow import MlflowClient

from chainrule.benchmarks import load_checks
from chainrule.benchmarks.load_clients import Client, run_clients
from chainrule.runtime.postgres_cluster import throwaway_postgres
from chainrule.runtime.servers import tracking_server
from chainrule.tracking.store import open_store

BACKENDS = ("embedded", "sqlite", "postgresql")


@dataclass
class Target:
    """Where a batch of clients logs: one row group of the table.

    ``server_options`` are further keyword arguments of :func:`chainrule.runtime.servers.tracking_server`
    and ``client_env`` variables every client adds to its environment: with those two, a server
    with authentication on (its option, the clients' user and password) is one more target.
    ``compare_to`` names the target its overheads are divided by (the first, by default): the same
    server without authentication, for the cost of authentication alone.
    """

    label: str
    backend: str  # one of BACKENDS
    server_options: dict = field(default_factory=dict)
    client_env: dict = field(default_factory=dict)
    compare_to: str | None = None


@dataclass
class Batch:
    """What one batch measured, and what was wrong with what it left in the store."""

    wall: float
    overheads: list[float]
    in_run: list[float]
    points: int
    whole: int
    log_problems: list[str]
    problems: list[str]


def _batch(project_root: Path, folder: Path, uri: str, target: Target, clients: int, experiment: str,
           server_log: Path | None) -> Batch:
    """Run ``clients`` clients at once into ``uri``, then read every run back."""
    extra = {i: target.client_env for i in range(clients)}
    started, wall = run_clients(project_root, folder, uri, clients, experiment, extra)
    # read back as the clients logged (a server with users answers anyone else 401); MLflow's
    # client reads the credentials from the environment at every request
    with mock.patch.dict(os.environ, target.client_env):
        return _read_back(uri, experiment, started, wall, server_log)


def _read_back(uri: str, experiment: str, started: list[Client], wall: float,
               server_log: Path | None) -> Batch:
    """The batch's runs read back and checked, and what it measured."""
    client = MlflowClient(uri)
    runs = load_checks.experiment_runs(client, experiment)
    problems = load_checks.client_problems(started)
    whole = 0
    for run in runs:
        found = load_checks.run_problems(client, run)
        whole += not found
        problems += found
    log_problems = load_checks.server_log_problems(server_log.read_text()) if server_log else []
    points = sum(len(client.get_metric_history(r.info.run_id, key)) for r in runs for key in r.data.metrics)
    return Batch(wall, _overheads(started, runs), _in_run(runs), points, whole, log_problems, problems)


def _overheads(clients: list[Client], runs: list) -> list[float]:
    """Each client's wall time less its run's pure training time."""
    training = {r.data.tags.get("chainrule.pid"): r.data.metrics.get("time/train_seconds") for r in runs}
    return [c.wall - training[str(c.pid)] for c in clients if training.get(str(c.pid)) is not None]


def _in_run(runs: list) -> list[float]:
    """Each ended run's time from its start to its end (MLflow's milliseconds) less its training."""
    return [(r.info.end_time - r.info.start_time) / 1000 - r.data.metrics["time/train_seconds"]
            for r in runs if r.info.end_time and "time/train_seconds" in r.data.metrics]


@contextlib.contextmanager
def _stores(project_root: Path, folder: Path, targets: list[Target]):
    """Each target's tracking URI and server log (None for the embedded store), in order, every server up."""
    unknown = [t.backend for t in targets if t.backend not in BACKENDS]
    if unknown:
        raise ValueError(f"server_load: backend must be one of {', '.join(BACKENDS)}; got {', '.join(unknown)}")
    with contextlib.ExitStack() as stack:
        cluster, found = None, []
        for i, target in enumerate(targets):
            place = folder / f"target-{i}"
            place.mkdir()
            if target.backend == "embedded":
                uri = f"sqlite:///{place / 'mlflow.db'}"
                open_store(uri)  # created and migrated once, before eight processes open it at the same moment
                found.append((uri, None))
                continue
            backend = None
            if target.backend == "postgresql":
                cluster = cluster or stack.enter_context(throwaway_postgres("bench-load"))
                backend = cluster.create_database(f"load_{i}")
            url, _process = stack.enter_context(tracking_server(project_root, place, backend, **target.server_options))
            found.append((url, place / "server.log"))
        yield found


def run(project_root: Path, targets: list[Target], clients: int, repeats: int) -> tuple[list[dict], list[str]]:
    """Rows of the table — per target, wall time, points per second, overhead per run (and its ratio
    to the first target's, the embedded store), whether every run came back whole — and the problems found.

    Parameters
    ----------
    project_root : Path
        The checkout whose ``pipelines/`` run.
    targets : list of Target
        Where the batches go, in turn, ``repeats`` times; the first is the reference.
    clients : int
        Pipeline processes started at once per batch.
    repeats : int
        Batches per target, alternating targets; medians are reported.

    Returns
    -------
    rows : list of dict
        For :func:`chainrule.benchmarks.pipeline_speed.table`.
    problems : list of str
        What was wrong in the stores and server logs (a client that failed, a point lost, a 5xx).
    """
    batches: list[list[Batch]] = [[] for _ in targets]
    with tempfile.TemporaryDirectory() as tmp, _stores(project_root, Path(tmp), targets) as stores:
        for r in range(repeats):
            for i, (target, (uri, log)) in enumerate(zip(targets, stores)):
                batches[i].append(_batch(project_root, Path(tmp) / f"batch-{r}-{i}", uri, target, clients,
                                         f"load-{r}", log))
    by_label = {target.label: done for target, done in zip(targets, batches)}
    unknown = [t.compare_to for t in targets if t.compare_to is not None and t.compare_to not in by_label]
    if unknown:
        raise ValueError(f"server_load: compare_to must be the label of a target; got {', '.join(unknown)}")
    rows = []
    for target, done in zip(targets, batches):
        reference = target.compare_to or targets[0].label
        rows += _rows(target, done, clients, None if reference == target.label else (reference, by_label[reference]))
    return rows, [p for done in batches for b in done for p in b.problems + b.log_problems]


def _median(done: list[Batch], measure: str) -> float:
    """The median over batches of each batch's median of ``measure`` (a list of per-run seconds)."""
    return statistics.median(statistics.median(getattr(b, measure)) if getattr(b, measure) else float("nan")
                             for b in done)


def _rows(target: Target, done: list[Batch], clients: int, reference: tuple[str, list[Batch]] | None) -> list[dict]:
    """One target's rows; ``reference``: the label and batches of the target it is compared to."""
    rows = [
        {"measure": f"{target.label}: {clients} clients at once, wall time (median of {len(done)})",
         "seconds": statistics.median(b.wall for b in done), "target": None},
        {"measure": "  metric points per second read back (not seconds)",
         "seconds": statistics.median(b.points / b.wall for b in done), "target": None},
    ]
    for measure, indent, what in (("overheads", "  ", "overhead per run (median client: wall - training)"),
                                  ("in_run", "    ", "of which inside the run (median: end - start - training)")):
        rows.append({"measure": f"{indent}{what}", "seconds": _median(done, measure), "target": None})
        if reference is not None:
            label, theirs = reference
            rows.append({"measure": f"{indent}/ {label}'s (ratio, not seconds)",
                         "seconds": _median(done, measure) / _median(theirs, measure), "target": None})
    rows.append({"measure": "  runs FINISHED, every point read back (count, fewest of the batches)",
                 "seconds": min(b.whole for b in done), "target": None, "at_least": clients})
    if target.backend != "embedded":
        rows.append({"measure": "  server log lines with a 5xx or an error (count, most of the batches)",
                     "seconds": max(len(b.log_problems) for b in done), "target": 0})
    return rows
