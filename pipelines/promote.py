"""make promote: register a run's model and make it the champion (conf/promote.yaml)."""

import sys
from pathlib import Path

from chainrule.deploy import registry
from chainrule.errors import ConfigError
from chainrule.experiment import checks, schemas
from chainrule.runtime import cli
from chainrule.tracking import store

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    schemas.register()
    try:
        cfg = cli.compose(PROJECT_ROOT / "conf", "promote", argv)
        checks.validate_promote(cfg)
        client = store.connect(store.resolve_uri(cfg.tracking.uri, PROJECT_ROOT))
        run_id = registry.latest_run(client, cfg.tracking.experiment) if cfg.run == "latest" else cfg.run
        run = registry.promotable(client, run_id)
        name = cfg.name or registry.default_name(run.data.params.get("dataset.name", "data"))
        done = registry.promote(client, run, name)
    except ConfigError as error:
        print(f"promote: {error}", file=sys.stderr)
        sys.exit(2)  # a setting to fix, not a crash: no traceback
    print(f"registered run {run.info.run_name} ({run.info.run_id}) as {name} version {done.version}; {done.reason}")
    print(f"  load it as {registry.champion_uri(name)} (make serve, make predict)")


if __name__ == "__main__":
    main(sys.argv[1:])
