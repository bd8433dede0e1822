"""The MLflow store: where runs go, and the checks that make an unusable store one line.

A local SQLite file (the default, ``mlruns/mlflow.db``) is created once under a file lock and
switched to write-ahead logging; a tracking server must answer, a PostgreSQL database too.
Every start also ends the runs that processes which died left RUNNING (:mod:`.orphans`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
import sqlite3
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from chainrule.errors import StoreError
from chainrule.tracking import access
from chainrule.tracking.orphans import reap_orphans
from chainrule.tracking.uris import artifact_location, default_uri, is_in_memory, masked, sqlite_path

log = logging.getLogger("chainrule")

# MLflow draws a progress bar for every artifact download, including the one that validates each
# logged model: in a sweep's log that is noise, one bar per run.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

MIN_FREE_BYTES = 50 * 2**20
"""Refuse to start with less free space than this where runs are stored (a run writes a few MB)."""

HEALTH_TIMEOUT = 5.0
"""Seconds a tracking server has to answer ``/health`` before it is called unreachable."""


EXPERIMENT_DESCRIPTION = (
    "chainrule runs: the NumPy core of neural-network-mathematics.txt (logistic regression and a "
    "one-hidden-layer MLP trained by gradient descent), scored with scikit-learn. Sweeps appear as a "
    "parent run with one child per configuration."
)


def resolve_uri(configured: str | None, project_root: Path) -> str:
    """``tracking.uri`` if set, else ``$MLFLOW_TRACKING_URI``, else the embedded store.

    A bare ``postgresql://`` database gets the pinned driver (``postgresql+psycopg2://``)."""
    uri = configured or os.environ.get("MLFLOW_TRACKING_URI") or default_uri(project_root)
    if uri.startswith("postgresql"):
        from chainrule.tracking import postgres  # imports the PostgreSQL driver: only for such a store

        uri = postgres.with_pinned_driver(uri)
    return uri


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
            from chainrule.tracking import postgres

            postgres.check_database(uri, setting="tracking.uri")  # one line in seconds; MLflow retries for minutes
        elif uri.startswith(("http://", "https://")):
            check_server(uri)
            access.check_credentials(uri)  # a wrong password: one line before any run exists, not a traceback later
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


def connect(uri: str) -> MlflowClient:
    """:func:`open_store` for ``uri``, with MLflow pointed at it too, in this process and its children.

    A client's URI is not enough outside training: MLflow resolves ``models:/`` URIs, and looks
    up the logged model behind a new registry version, through the process-wide tracking URI
    (the embedded default would be another store), and ``mlflow models serve`` is a child process.
    """
    client = open_store(uri)
    mlflow.set_tracking_uri(uri)
    os.environ["MLFLOW_TRACKING_URI"] = uri
    return client


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
    with access.explained(uri, experiment, doing="read", needs="READ"):  # a server with users
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
