"""make server: MLflow's tracking server (conf/server.yaml); prints the URI clients export."""

import os
import sys
from pathlib import Path

from chainrule import server_backend, servers
from chainrule.config import ConfigError, compose, validate_server

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    try:
        cfg = compose(PROJECT_ROOT / "conf", "server", argv)
        validate_server(cfg)
        servers.check_port_free(cfg.host, cfg.port, 'make server ARGS="port={port}"')
        folder = PROJECT_ROOT / "mlruns" / "server"
        backend = server_backend.prepare(cfg.backend_store_uri or f"sqlite:///{folder / 'mlflow.db'}")
    except ConfigError as error:
        print(error, file=sys.stderr)
        sys.exit(2)  # a setting to fix, not a crash: no traceback
    artifacts = cfg.artifacts_destination or str(folder / "artifacts")
    url = f"http://{cfg.host}:{cfg.port}"
    print(f"MLflow tracking server for {server_backend.masked_uri(backend)}, artifacts in {artifacts}")
    print(f"log to it with:  export MLFLOW_TRACKING_URI={url}")
    # SQLite lets one process write at a time: more server processes only wait on each other's
    # locks (measured: 1 worker logs a sweep in 0.95 s a run, MLflow's default 4 in 1.7 s).
    workers = cfg.workers or (1 if backend.startswith("sqlite") else 4)
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
