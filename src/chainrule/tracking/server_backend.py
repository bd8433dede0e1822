"""``make server`` and ``make ui``: MLflow's own server over this project's stores.

The backend store is readied first (a local SQLite file created once, a PostgreSQL database that
must answer), then the entry point hands its process to ``mlflow server`` / ``mlflow ui``.
"""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import DictConfig

from chainrule.errors import ConfigError
from chainrule.tracking import postgres, server_auth
from chainrule.tracking.store import open_store, resolve_uri, use_store
from chainrule.tracking.uris import masked, sqlite_path, ui_url

masked_uri = masked  # what make server prints of its backend URI: no password


def prepare(uri: str) -> str:
    """Ready a backend store for ``mlflow server``; the URI to give it.

    A local SQLite store is created and migrated once, under the store lock; a PostgreSQL one
    must answer (see :func:`.postgres.check_database`) and gets the pinned driver (see :func:`.postgres.with_pinned_driver`).

    Raises
    ------
    StoreError
        If a PostgreSQL database cannot be reached.
    """
    if sqlite_path(uri) is not None:
        open_store(uri)
    elif postgres.is_postgresql(uri):
        postgres.check_database(uri)
        return postgres.with_pinned_driver(uri)
    return uri


def server_command(cfg: DictConfig, project_root: Path) -> tuple[list[str], list[str]]:
    """``mlflow server``'s arguments for ``make server``'s config, and the lines to print first.

    The backend URI goes into this process's environment (``MLFLOW_BACKEND_STORE_URI``), not the
    arguments: a database password on a command line is visible to every user of the host (ps)
    for as long as the server runs. With ``auth``, so does the admin's password (:mod:`.server_auth`).
    """
    folder = project_root / "mlruns" / "server"
    password = server_auth.admin_password(cfg) if cfg.auth else None  # refused before any store is touched
    backend = prepare(cfg.backend_store_uri or f"sqlite:///{folder / 'mlflow.db'}")
    artifacts = cfg.artifacts_destination or str(folder / "artifacts")
    # SQLite lets one process write at a time: more server processes only wait on each other's
    # locks (measured: 1 worker logs a sweep in 0.95 s a run, MLflow's default 4 in 1.7 s).
    workers = cfg.workers or (1 if backend.startswith("sqlite") else 4)
    os.environ["MLFLOW_BACKEND_STORE_URI"] = backend
    _without_job_runner()
    users = server_auth.enable(cfg, backend, password) if cfg.auth else []
    arguments = ["server", *users, "--artifacts-destination", artifacts, "--serve-artifacts", "--host", cfg.host,
                 "--port", str(cfg.port), "--workers", str(workers)]
    lines = [f"MLflow tracking server for {masked(backend)}, artifacts in {artifacts}",
             f"log to it with:  export MLFLOW_TRACKING_URI=http://{cfg.host}:{cfg.port}"]
    if cfg.auth:
        lines.append(f"users and permissions (admin: {cfg.admin_username}): make user / make grant; clients export "
                     "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD")
    return arguments, lines


def ui_command(cfg: DictConfig, project_root: Path) -> tuple[list[str], list[str]]:
    """``mlflow ui``'s arguments for ``make ui``'s config (a local store only), and the lines to print first."""
    uri = resolve_uri(cfg.tracking.uri, project_root)
    if not uri.startswith("sqlite:"):
        raise ConfigError(f"make ui serves a local store; {masked(uri)} is a server already — open it in a browser")
    experiment_id = use_store(uri, cfg.tracking.experiment)
    _without_job_runner()
    arguments = ["ui", "--backend-store-uri", uri, "--host", cfg.host, "--port", str(cfg.port)]
    lines = [f"MLflow UI for {uri}",
             f"runs of experiment {cfg.tracking.experiment!r}: {ui_url(uri, experiment_id, port=cfg.port)}",
             " ".join(["mlflow", *arguments])]
    return arguments, lines


def _without_job_runner() -> None:
    # MLflow's background job runner serves GenAI features (judges, trace roll-ups) this project
    # does not use, and it respawns its workers on Ctrl-C instead of stopping: leave it off.
    os.environ.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
