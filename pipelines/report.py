"""make report: which setting of a sweep won, and by how much (see conf/report.yaml)."""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from chainrule.errors import ConfigError
from chainrule.experiment import schemas
from chainrule.sweeps import report

PROJECT_ROOT = Path(__file__).resolve().parents[1]

schemas.register()


@hydra.main(version_base="1.3", config_path="../conf", config_name="report")
def main(cfg: DictConfig) -> None:
    try:
        report.run(cfg, PROJECT_ROOT)
    except ConfigError as error:
        print(f"report: {error}", file=sys.stderr)
        sys.exit(2)  # a setting to fix, not a crash: no traceback


if __name__ == "__main__":
    main()
