"""make ui: print where the runs are, then hand the terminal to `mlflow ui` (Ctrl-C stops it)."""

import os
import sys
from pathlib import Path

from chainrule import servers, tracking
from chainrule.config import ConfigError, compose, validate_ui

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    try:
        cfg = compose(PROJECT_ROOT / "conf", "ui", argv)
        validate_ui(cfg)
        uri = tracking.resolve_uri(cfg.tracking.uri, PROJECT_ROOT)
        if not uri.startswith("sqlite:"):
            raise ConfigError(f"make ui serves a local store; {tracking.masked(uri)} is a server already — open it in a browser")
        servers.check_port_free(cfg.host, cfg.port, "make ui PORT={port}")
        experiment_id = tracking.use_store(uri, cfg.tracking.experiment)
    except ConfigError as error:
        print(error, file=sys.stderr)
        sys.exit(2)  # a setting to fix, not a crash: no traceback
    print(f"MLflow UI for {uri}")
    print(f"runs of experiment {cfg.tracking.experiment!r}: {tracking.ui_url(uri, experiment_id, port=cfg.port)}")
    command = ["mlflow", "ui", "--backend-store-uri", uri, "--host", cfg.host, "--port", str(cfg.port)]
    print(" ".join(command), flush=True)
    # MLflow's background job runner serves GenAI features (judges, trace roll-ups) this project
    # does not use, and it respawns its workers on Ctrl-C instead of stopping: leave it off.
    os.environ.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    os.execvp(sys.executable, [sys.executable, "-m", "mlflow", *command[1:]])


if __name__ == "__main__":
    main(sys.argv[1:])
