"""make bench: print the benchmark tables; exit 1 if a target is missed."""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from chainrule.runtime import process

with process.importing():  # as a job does, so that logging is timed as a run does it
    from chainrule.benchmarks import suite

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@hydra.main(version_base="1.3", config_path="../conf", config_name="bench")
def main(cfg: DictConfig) -> None:
    if not suite.run(cfg, PROJECT_ROOT):
        sys.exit(1)


if __name__ == "__main__":
    main()
