"""make server: MLflow's tracking server (conf/server.yaml); prints the URI clients export."""

import os
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir

import chainrule.config  # noqa: F401  (registers the config schemas)
from chainrule import server_backend
from chainrule.tracking import StoreError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    with initialize_config_dir(str(PROJECT_ROOT / "conf"), version_base="1.3"):
        cfg = compose("server", overrides=argv)
    folder = PROJECT_ROOT / "mlruns" / "server"
    backend = cfg.backend_store_uri or f"sqlite:///{folder / 'mlflow.db'}"
    artifacts = cfg.artifacts_destination or str(folder / "artifacts")
    try:
        backend = server_backend.prepare(backend)
    except StoreError as error:
        print(error, file=sys.stderr)
        sys.exit(2)  # a setting to fix, not a crash: no traceback
    url = f"http://{cfg.host}:{cfg.port}"
    print(f"MLflow tracking server for {server_backend.masked_uri(backend)}, artifacts in {artifacts}")
    print(f"log to it with:  export MLFLOW_TRACKING_URI={url}")
    # SQLite lets one process write at a time: more server processes only wait on each other's
    # locks (measured: 1 worker logs a sweep in 0.95 s a run, MLflow's default 4 in 1.7 s).
    workers = cfg.workers or (1 if backend.startswith("sqlite") else 4)
    if workers < 1:
        print(f"workers must be a whole number of at least 1 (or null); got {workers}", file=sys.stderr)
        sys.exit(2)
    command = [
        "server", "--artifacts-destination", artifacts, "--serve-artifacts", "--host", cfg.host, "--port", str(cfg.port),
        "--workers", str(workers),
    ]
    # Through the environment, not argv: a database password on a command line is visible to every
    # user of the host (ps) for as long as the server runs.
    os.environ["MLFLOW_BACKEND_STORE_URI"] = backend
    os.environ.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")  # as for make ui
    sys.stdout.flush()
    os.execvp(sys.executable, [sys.executable, "-m", "mlflow", *command])


if __name__ == "__main__":
    main(sys.argv[1:])
