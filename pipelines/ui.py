"""make ui: print where the runs are, then hand the terminal to `mlflow ui` (Ctrl-C stops it)."""

import os
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir

import chainrule.config  # noqa: F401  (registers the config schemas)
from chainrule import tracking

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    with initialize_config_dir(str(PROJECT_ROOT / "conf"), version_base="1.3"):
        cfg = compose("ui", overrides=argv)
    uri = tracking.resolve_uri(cfg.tracking.uri, PROJECT_ROOT)
    if not uri.startswith("sqlite:"):
        sys.exit(f"make ui serves a local store; {uri} is a server already — open it in a browser")
    experiment_id = tracking.use_store(uri, cfg.tracking.experiment)
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
