"""make serve: the champion model behind ``mlflow models serve`` (conf/serve.yaml)."""

import os
import sys
from pathlib import Path

from chainrule.deploy import models, serving
from chainrule.errors import ConfigError
from chainrule.experiment import checks, schemas
from chainrule.runtime import cli, servers
from chainrule.tracking import store

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    schemas.register()
    try:
        cfg = cli.compose(PROJECT_ROOT / "conf", "serve", argv, values=("model",))
        checks.validate_serve(cfg)
        servers.check_port_free(cfg.host, cfg.port, "make serve PORT={port}")
        client = store.connect(store.resolve_uri(cfg.tracking.uri, PROJECT_ROOT))
        model_uri = models.chosen(client, cfg.model, cfg.name)
        arguments, lines = serving.command(cfg, model_uri, models.feature_names(model_uri))
    except ConfigError as error:
        print(f"serve: {error}", file=sys.stderr)
        sys.exit(2)  # a setting to fix, not a crash: no traceback
    # MLflow starts the server as `uvicorn …` found on PATH: this environment's, not whatever else is there.
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    servers.exec_mlflow(arguments, lines)


if __name__ == "__main__":
    main(sys.argv[1:])
