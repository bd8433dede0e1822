"""MLflow: where runs are stored, how they are named, and what each run records."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature, infer_signature
from mlflow.types.schema import AnyType, ColSpec, Schema
from mlflow.utils.validation import MAX_METRICS_PER_BATCH, MAX_PARAM_VAL_LENGTH, MAX_PARAMS_TAGS_PER_BATCH
from omegaconf import DictConfig, OmegaConf

import chainrule
from chainrule import model_io, process
from chainrule.config import ConfigError

log = logging.getLogger("chainrule")

# MLflow draws a progress bar for every artifact download, including the one that validates each
# logged model: in a sweep's log that is noise, one bar per run.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

MIN_FREE_BYTES = 50 * 2**20
"""Refuse to start with less free space than this where runs are stored (a run writes a few MB)."""

PARENT_RUN_ENV = "CHAINRULE_PARENT_RUN_ID"
"""Set by the sweep callback in the launching process; jobs log as children of that run."""

EXPERIMENT_DESCRIPTION = (
    "chainrule runs: the NumPy core of neural-network-mathematics.txt (logistic regression and a "
    "one-hidden-layer MLP trained by gradient descent), scored with scikit-learn. Sweeps appear as a "
    "parent run with one child per configuration."
)


def default_uri(project_root: Path) -> str:
    """The embedded store: ``sqlite:///<project root>/mlruns/mlflow.db``."""
    return f"sqlite:///{(Path(project_root) / 'mlruns' / 'mlflow.db').resolve()}"


def resolve_uri(configured: str | None, project_root: Path) -> str:
    """``tracking.uri`` if set, else ``$MLFLOW_TRACKING_URI``, else the embedded store.

    A bare ``postgresql://`` database gets the pinned driver (``postgresql+psycopg2://``)."""
    uri = configured or os.environ.get("MLFLOW_TRACKING_URI") or default_uri(project_root)
    if uri.startswith("postgresql"):
        from chainrule import server_backend  # imports the PostgreSQL driver: only for such a store

        uri = server_backend.with_pinned_driver(uri)
    return uri


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URI, else None."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri[len("sqlite:///"):].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def is_in_memory(uri: str) -> bool:
    """``sqlite://`` or ``sqlite:///:memory:``: a database that ends with the process that opened it."""
    return uri.startswith("sqlite:") and sqlite_path(uri) is None


HEALTH_TIMEOUT = 5.0
"""Seconds a tracking server has to answer ``/health`` before it is called unreachable."""


def masked(uri: str) -> str:
    """``uri`` with a password in it shown as ``***`` (``http://user:pw@host``, ``postgresql://user:pw@…``)."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def artifact_location(uri: str) -> str | None:
    """Artifacts of a local SQLite store go beside it in ``artifacts/``; a server decides its own."""
    db = sqlite_path(uri)
    return str(db.parent / "artifacts") if db is not None else None


def ui_url(uri: str, experiment_id: str, run_id: str | None = None, port: int = 5000) -> str:
    """Where a person sees the experiment's runs (or one run) in the MLflow UI."""
    base = uri.rstrip("/") if uri.startswith(("http://", "https://")) else f"http://127.0.0.1:{port}"
    page = f"runs/{run_id}" if run_id else "runs"
    return f"{base}/#/experiments/{experiment_id}/{page}?workflowType=machine_learning"


@contextlib.contextmanager
def without_mlflow_hints():
    """Silence two MLflow warnings that do not apply here.

    - integer columns may not hold missing values: the 0/1 label is an integer by design;
    - a local file path "can be interpreted in multiple ways": MLflow registers its local
      dataset source twice and picks it either way.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column")
        warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted in multiple ways")
        yield


class StoreError(ConfigError):
    """The tracking store cannot be opened or written to (unknown kind, unreachable, read-only, full)."""


def check_writable(folder: Path) -> None:
    """Make ``folder`` if needed and prove a file can be written there; StoreError otherwise."""
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"cannot store runs in {str(folder)!r}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(folder).free
        if free < MIN_FREE_BYTES:
            raise OSError(errno.ENOSPC, f"only {free / 2**20:.0f} MB free, at least {MIN_FREE_BYTES / 2**20:.0f} MB needed")
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-") as probe:
            probe.write(b"\0" * 2**20)  # a run's artifacts are of this order
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        reason = error.strerror or str(error)
        raise StoreError(f"cannot store runs in {str(folder)!r}: {reason}") from None


@contextlib.contextmanager
def _store_lock(db: Path):
    """Serialise store creation between processes: MLflow's SQLite migrations are not safe to
    run concurrently on one new file."""
    with open(db.with_name(db.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def check_sqlite_file(db: Path) -> None:
    """Refuse, naming the file and the cause, a database path SQLite cannot use as a store.

    MLflow would spend minutes retrying a folder, or print pages of tracebacks for a file that
    cannot be written. (A file that is not a database is found by :func:`_write_ahead_log`, through
    SQLite: opening and closing the file any other way would drop the locks SQLite holds on it in
    this process.)"""
    if db.is_dir():
        raise StoreError(f"cannot use {str(db)!r} as the store's database: it is a folder; name a file in it "
                         f"(sqlite:///{db / 'mlflow.db'})")
    if db.exists() and not os.access(db, os.W_OK):
        raise StoreError(f"cannot write the store's database {str(db)!r}: it is read-only for this user; "
                         "make it writable (chmod u+w) or point tracking.uri at another store")


def check_server(uri: str, timeout: float = HEALTH_TIMEOUT) -> None:
    """Ask the tracking server at ``uri`` for ``/health``; StoreError if it does not answer as one.

    MLflow's client would retry an unreachable server for minutes (four here), then print a
    chain of tracebacks; one line in seconds says more."""
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout):
            return
    except urllib.error.HTTPError as error:  # it answered, but not as MLflow's server does
        if error.code in (401, 403):  # it is there and wants credentials: MLflow's client says which
            return
        reason = f"it answers GET /health with {error.code} {error.reason}: not an MLflow tracking server?"
    except (urllib.error.URLError, OSError) as error:
        cause = getattr(error, "reason", error)
        reason = f"no answer within {timeout:g} s" if isinstance(cause, TimeoutError) else str(cause)
    raise StoreError(f"cannot reach the tracking server {masked(uri)}: {reason} — start it (make server), "
                     "or pass another tracking.uri=… (or MLFLOW_TRACKING_URI)")


def open_store(uri: str) -> MlflowClient:
    """A client for ``uri``. A local SQLite store is created or migrated under a file lock first:
    MLflow does that on first contact, and two processes doing it at once break the file.

    Raises
    ------
    StoreError
        If the store cannot be used: an in-memory or unusable SQLite file, a server or database
        that does not answer, a kind of URI MLflow has no store for.
    """
    if is_in_memory(uri):
        raise StoreError(f"tracking.uri={uri} is an in-memory database: every run would vanish when the process "
                         "ends; give a file (sqlite:////absolute/path/mlflow.db) or leave tracking.uri unset")
    db = sqlite_path(uri)
    if db is None:
        if uri.startswith("postgresql"):
            from chainrule import server_backend

            server_backend.check_database(uri, setting="tracking.uri")  # one line in seconds; MLflow retries for minutes
        elif uri.startswith(("http://", "https://")):
            check_server(uri)
        try:
            return MlflowClient(uri)
        except MlflowException as error:  # a URI MLflow has no store for
            raise StoreError(f"cannot open the tracking store {uri!r}: {' '.join(error.message.split())}") from None
    check_sqlite_file(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    with _store_lock(db):
        # Write-ahead logging first: a new store's dozens of migration commits are then cheap too.
        _write_ahead_log(db)
        client = MlflowClient(uri)  # constructing the client creates and migrates the store
    return client


def _write_ahead_log(db: Path) -> None:
    """Switch the SQLite file to write-ahead logging (a setting stored in the file, made once).

    In SQLite's default rollback-journal mode every commit syncs the database and its journal:
    about 5 ms here, and a run makes dozens of commits. With a write-ahead log a commit is one
    append (about 1.5 ms), and readers (``make ui``, ``make report``) no longer block writers.
    The file must then stay on a local disk: write-ahead logging does not work over NFS (nor
    does SQLite's locking in general; a team shares ``make server`` instead).

    Raises
    ------
    StoreError
        If the file is not an SQLite database (MLflow would print pages of tracebacks).
    """
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=10)) as connection:
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            raise StoreError(f"{str(db)!r} is not an SQLite database ({error}); point tracking.uri at an MLflow "
                             "store, or at a new file") from None
        log.debug("kept %s in its journal mode: %s", db, error)  # another program holds it: MLflow says


def use_store(uri: str, experiment: str, first: bool = True) -> str:
    """Point MLflow at ``uri`` and return the id of ``experiment``, creating either if needed.

    With ``first``, a local SQLite store's folders are checked (writable, not full) before it
    is created under a file lock, and runs left RUNNING by processes of this host that no
    longer exist are marked KILLED. A sweep's jobs pass ``first=False``: the launching process
    did both as the sweep began.

    Raises
    ------
    StoreError
        If the local store's folder or its artifacts folder cannot be written.
    """
    db = sqlite_path(uri)
    if db is not None and first:  # before MLflow touches the file
        check_writable(db.parent)
        check_writable(Path(artifact_location(uri)))
    mlflow.set_tracking_uri(uri)
    client = open_store(uri)
    if first:
        reap_orphans(client)
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        check_not_deleted(found, uri)
        return found.experiment_id
    tags = {"mlflow.note.content": EXPERIMENT_DESCRIPTION, "mlflow.experimentKind": "custom_model_development"}
    try:
        return client.create_experiment(experiment, artifact_location=artifact_location(uri), tags=tags)
    except MlflowException:  # another process created it in between
        return client.get_experiment_by_name(experiment).experiment_id


def check_not_deleted(experiment, uri: str) -> None:
    """StoreError if ``experiment`` is in MLflow's trash: runs cannot be logged to it, nor its name reused."""
    if experiment.lifecycle_stage == "deleted":
        raise StoreError(
            f"tracking.experiment: the experiment {experiment.name!r} (id {experiment.experiment_id}) is deleted; "
            f"restore it (MLFLOW_TRACKING_URI={masked(uri)} mlflow experiments restore --experiment-id "
            f"{experiment.experiment_id}) or choose another tracking.experiment=…"
        )


def running_runs(client: MlflowClient, experiment_id: str | None = None, parent_id: str | None = None) -> list:
    """The RUNNING runs of ``experiment_id`` (None: of every active experiment of the store); with
    ``parent_id``, only that sweep's children."""
    running = "attributes.status = 'RUNNING'"
    if parent_id is not None:
        running += f" and tags.mlflow.parentRunId = '{parent_id}'"
    ids = [experiment_id] if experiment_id is not None else [e.experiment_id for e in client.search_experiments()]
    runs, token = [], None
    while ids:
        page = client.search_runs(ids, filter_string=running, page_token=token)
        runs += page
        token = page.token
        if not token:
            break
    return runs


def reap_orphans(client: MlflowClient, experiment_id: str | None = None, parent_id: str | None = None) -> list[str]:
    """Mark KILLED the RUNNING runs whose process (on this host) has ended; return their ids.

    SIGKILL or a machine crash gives a run no chance to close itself, and MLflow has no
    heartbeat: without this such runs would show RUNNING forever. Every experiment of the store
    is looked at, unless ``experiment_id`` names one; with ``parent_id``, only that sweep's children.
    """
    reaped = []
    for run in running_runs(client, experiment_id, parent_id):
        if process.is_gone(run.data.tags):
            host, pid = run.data.tags["chainrule.host"], run.data.tags["chainrule.pid"]
            client.set_tag(run.info.run_id, "chainrule.reaped", f"process {pid} on {host} had ended")
            client.set_terminated(run.info.run_id, "KILLED")
            reaped.append(run.info.run_id)
            log.warning("run %s (%s) was RUNNING but its process %s on %s is gone: marked KILLED",
                        run.info.run_name, run.info.run_id, pid, host)
    return reaped


def run_name(cfg: DictConfig) -> str:
    """What ran, readable in the UI's run table, e.g. ``mlp-w3-relu-lr0.1-moons``."""
    model = cfg.model
    arch = f"mlp-w{model.hidden_width}-{model.activation}" if model.name == "mlp" else model.name
    return f"{arch}-lr{cfg.train.lr:g}-{cfg.dataset.name}"


@functools.cache  # once per process: every job of a sweep runs the code that process loaded
def git_commit(project_root: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project_root, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def flatten(cfg: DictConfig) -> dict[str, str]:
    """The resolved config as dotted keys, values as text within MLflow's length limit."""
    flat: dict[str, str] = {}

    def walk(node, prefix):
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(value, f"{prefix}{key}.")
        else:
            text = str(node)
            flat[prefix[:-1]] = text if len(text) <= MAX_PARAM_VAL_LENGTH else text[: MAX_PARAM_VAL_LENGTH - 1] + "…"

    walk(OmegaConf.to_container(cfg, resolve=True), "")
    return flat


def log_params(run_id: str, params: dict[str, str]) -> None:
    """Log params in batches of MLflow's maximum size."""
    items = [Param(k, v) for k, v in params.items()]
    client = MlflowClient()
    for start in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
        client.log_batch(run_id, params=items[start : start + MAX_PARAMS_TAGS_PER_BATCH])


def log_series(run_id: str, series: dict[str, np.ndarray], scalars: dict[str, float] | None = None) -> None:
    """Log whole metric histories (step = iteration), in batches — never one call per step —
    and with them single values (``scalars``: name → value, at step 0)."""
    now = int(time.time() * 1000)
    points = [Metric(key, float(v), now, step) for key, values in series.items() for step, v in enumerate(values)]
    points += [Metric(key, float(value), now, 0) for key, value in (scalars or {}).items()]
    client = MlflowClient()
    for start in range(0, len(points), MAX_METRICS_PER_BATCH):
        client.log_batch(run_id, metrics=points[start : start + MAX_METRICS_PER_BATCH], synchronous=True)


def log_files(files: dict[str, str]) -> None:
    """Log small text artifacts (name → content) with one artifact upload."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text)
        mlflow.log_artifacts(tmp)


def log_splits(splits, dataset_name: str, source: str | None) -> None:
    """Each split, raw features and target, as an MLflow dataset input of the active run.

    MLflow's SQL store looks for each dataset of the experiment (by name and digest), then inserts
    the missing ones: two jobs of a sweep logging the same split at the same moment can both find
    it missing, and the second insert then violates the table's unique key and fails the whole
    call (SQLite's "UNIQUE constraint failed", PostgreSQL's "duplicate key value"). That failure
    means another writer has just committed the row, so a second attempt finds it: each attempt
    either succeeds or leaves at least one more of our datasets stored, hence at most one attempt
    per dataset, plus one, ever fails this way. (The store rolls a failed call back entirely.)
    """
    with without_mlflow_hints():
        datasets = [
            mlflow.data.from_pandas(frame, source=source, targets=splits.table.target, name=f"{dataset_name}-{split}")
            for split, frame in splits.raw.items()
        ]
        for attempt in range(len(datasets) + 1):
            try:
                mlflow.log_inputs(datasets, contexts=list(splits.raw), tags_list=[None] * len(datasets))
                return
            except MlflowException as error:
                if attempt == len(datasets) or not _lost_insert_race(error):
                    raise
                log.debug("dataset logged by another job at the same moment; logging again: %s", error.message)


def _lost_insert_race(error: MlflowException) -> bool:
    """Whether a store error is a unique-key violation (another writer inserted the same row first),
    as SQLite and PostgreSQL word it, through the embedded store or a tracking server."""
    text = str(error.message)
    return "UNIQUE constraint failed" in text or "duplicate key value violates unique constraint" in text


MODEL_CODE = ("__init__.py", "core", "model_io.py", "mlflow_model.py")
"""The parts of the ``chainrule`` package a logged model needs to load and predict."""


def model_package(folder: Path) -> Path:
    """A copy of the ``chainrule`` package cut down to :data:`MODEL_CODE`, in ``folder``.

    This is what travels with each logged model (its ``code/``): the NumPy core and the
    loader, not the pipeline, tracking and benchmark modules a prediction never imports —
    a smaller model, and a third of the files to upload per run to a tracking server.
    """
    source, package = Path(chainrule.__file__).parent, folder / "chainrule"
    for name in MODEL_CODE:
        if (source / name).is_dir():
            shutil.copytree(source / name, package / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            package.mkdir(exist_ok=True)
            shutil.copy2(source / name, package / name)
    return package


def feature_columns(names) -> Schema:
    """The model's input schema: every feature column by name, required, of any type.

    Not "double": MLflow refuses an int64 column for a double one ("Can not safely convert"),
    and ``pandas.read_csv`` reads a column of whole numbers as int64, so a model whose schema
    said double could not score its own training file. The model checks the values itself,
    naming the feature and the row (:meth:`chainrule.model_io.Predictor.inputs`)."""
    return Schema([ColSpec(AnyType(), name) for name in names])


def log_model(predictor_parts: dict, example: pd.DataFrame, example_proba: np.ndarray) -> str:
    """Log the trained model as an MLflow pyfunc model "from code", weights in a pickle-free ``.npz``.

    Parameters
    ----------
    predictor_parts : dict
        ``model``, ``features`` and ``scaler`` for :func:`chainrule.model_io.save`.
    example : DataFrame
        A few raw feature rows: the model's input example.
    example_proba : ndarray
        The model's probabilities for ``example``: with the input, the signature.

    Returns
    -------
    str
        The id of the logged model.
    """
    prediction = pd.DataFrame({"probability": example_proba, "label": (example_proba >= 0.5).astype(np.int64)})
    with tempfile.TemporaryDirectory() as tmp, without_mlflow_hints():
        weights = Path(tmp) / "weights.npz"
        model_io.save(weights, **predictor_parts)
        package = model_package(Path(tmp))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(package / "mlflow_model.py"),
            artifacts={"weights": str(weights)},
            code_paths=[str(package)],
            signature=ModelSignature(feature_columns(example.columns), infer_signature(example, prediction).outputs),
            input_example=example,
            pip_requirements=[f"mlflow=={mlflow.__version__}", f"numpy=={np.__version__}", f"pandas=={pd.__version__}"],
        )
    return info.model_id
