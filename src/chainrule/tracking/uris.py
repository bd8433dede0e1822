"""Store URIs: the default one, what a URI points at, how it is shown (without its password), and where its runs are seen."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def default_uri(project_root: Path) -> str:
    """The embedded store: ``sqlite:///<project root>/mlruns/mlflow.db``."""
    return f"sqlite:///{(Path(project_root) / 'mlruns' / 'mlflow.db').resolve()}"


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URI, else None."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri[len("sqlite:///"):].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def is_in_memory(uri: str) -> bool:
    """``sqlite://`` or ``sqlite:///:memory:``: a database that ends with the process that opened it."""
    return uri.startswith("sqlite:") and sqlite_path(uri) is None


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
