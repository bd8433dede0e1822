"""Train, score and log one configuration; with -m (or a sweep preset), one per job.

    python pipelines/train.py model=mlp model.hidden_width=3 train.lr=0.1
    python pipelines/train.py sweep=lr_grid
"""

import atexit
import gc
import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from chainrule import pipeline
from chainrule.config import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# MLflow, scikit-learn and Hydra leave a large heap of objects that live until exit. Keeping
# them out of the collector's reach saves full collections that would rescan them during the
# runs and again at interpreter shutdown (together about a second per sweep here).
gc.freeze()
atexit.register(gc.freeze)  # registered first, so it runs last: after the sweep is closed


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float:
    hydra_cfg = HydraConfig.get()
    try:
        return pipeline.run(cfg, PROJECT_ROOT, list(hydra_cfg.overrides.task))
    except ConfigError as error:
        logging.getLogger("chainrule").error("configuration error: %s", error)
        if hydra_cfg.mode == RunMode.RUN:
            sys.exit(2)  # a bad setting is not a crash: no traceback
        raise  # in a sweep, fail this job only; the others run


if __name__ == "__main__":
    main()
