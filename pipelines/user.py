"""make user: a new account on a tracking server with users (conf/user.yaml)."""

import os
import sys
from pathlib import Path

from chainrule.errors import ConfigError
from chainrule.experiment import account_checks, schemas
from chainrule.runtime import cli
from chainrule.tracking import accounts

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    schemas.register()
    try:
        cfg = cli.compose(PROJECT_ROOT / "conf", "user", argv)
        cfg.tracking.uri = cfg.tracking.uri or os.environ.get("MLFLOW_TRACKING_URI")
        account_checks.validate_user(cfg)
        accounts.create_user(cfg.tracking.uri, cfg.name)
    except ConfigError as error:
        print(f"user: {error}", file=sys.stderr)
        sys.exit(2)  # a setting to fix, not a crash: no traceback
    print(f"created user {cfg.name!r} on {cfg.tracking.uri}; give it a permission: "
          f'make grant ARGS="user={cfg.name} experiment=chainrule permission=EDIT"')


if __name__ == "__main__":
    main(sys.argv[1:])
