"""make server: MLflow's tracking server (conf/server.yaml); prints the URI clients export."""

import sys
from pathlib import Path

from chainrule.errors import ConfigError
from chainrule.experiment import checks, schemas
from chainrule.runtime import cli, servers
from chainrule.tracking import server_auth, server_backend

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    schemas.register()
    try:
        cfg = cli.compose(PROJECT_ROOT / "conf", "server", argv)
        checks.validate_server(cfg)
        if warning := server_auth.exposure_warning(cfg):
            print(warning, file=sys.stderr)
        servers.check_port_free(cfg.host, cfg.port, 'make server ARGS="port={port}"')
        arguments, lines = server_backend.server_command(cfg, PROJECT_ROOT)
    except ConfigError as error:
        print(error, file=sys.stderr)
        sys.exit(2)  # a setting to fix, not a crash: no traceback
    servers.exec_mlflow(arguments, lines)


if __name__ == "__main__":
    main(sys.argv[1:])
