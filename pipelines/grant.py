"""make grant: a user's permission on one experiment of a tracking server with users (conf/grant.yaml)."""

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
        cfg = cli.compose(PROJECT_ROOT / "conf", "grant", argv, values=("experiment",))
        cfg.tracking.uri = cfg.tracking.uri or os.environ.get("MLFLOW_TRACKING_URI")
        account_checks.validate_grant(cfg)
        experiment_id = accounts.grant(cfg.tracking.uri, cfg.user, cfg.experiment, cfg.permission)
    except ConfigError as error:
        print(f"grant: {error}", file=sys.stderr)
        sys.exit(2)  # a setting to fix, not a crash: no traceback
    print(f"user {cfg.user!r} has {cfg.permission} on experiment {cfg.experiment!r} (id {experiment_id}) "
          f"of {cfg.tracking.uri}")


if __name__ == "__main__":
    main(sys.argv[1:])
