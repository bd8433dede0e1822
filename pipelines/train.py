"""Train, score and log one configuration; with -m (or a sweep preset), one per job.

    python pipelines/train.py model=mlp model.hidden_width=3 train.lr=0.1
    python pipelines/train.py sweep=lr_grid
"""

import logging
import math
import signal
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from chainrule import process
from chainrule.config import ConfigError, DivergedTrial, check_quoting

PROJECT_ROOT = Path(__file__).resolve().parents[1]

process.stop_on_signals()
process.pause_gc_for_imports()  # until the pipeline (or a sweep) has imported MLflow and scikit-learn


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float:
    # Imported here rather than at the top (MLflow, scikit-learn: seconds), so that a
    # sweep with joblib's launcher can start its workers first, to import all that at the same time.
    from chainrule import pipeline

    process.tune_gc_for_batch()  # after the imports; acts once per process
    hydra_cfg = HydraConfig.get()
    try:
        objective = pipeline.run(cfg, PROJECT_ROOT, list(hydra_cfg.overrides.task))
    except ConfigError as error:
        logging.getLogger("chainrule").error("configuration error: %s", error)
        if hydra_cfg.mode == RunMode.RUN:
            sys.exit(2)  # a bad setting is not a crash: no traceback
        raise  # in a sweep, fail this job only; the others run
    if math.isnan(objective) and "optuna" in str(hydra_cfg.sweeper.get("_target_", "")):
        raise DivergedTrial(f"trial diverged (recorded as run {cfg.objective} = NaN); the search goes on")
    return objective


if __name__ == "__main__":
    try:
        check_quoting(sys.argv[1:])
    except ConfigError as error:
        logging.basicConfig(format="%(message)s")
        logging.getLogger("chainrule").error("configuration error: %s", error)
        sys.exit(2)
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the runs are already closed as KILLED
        signal_name = process.interrupted or "SIGINT"
        logging.getLogger("chainrule").warning("interrupted by %s: runs in progress ended KILLED", signal_name)
        sys.exit(128 + signal.Signals[signal_name].value)
