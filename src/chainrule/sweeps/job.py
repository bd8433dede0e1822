"""A Hydra job of ``pipelines/train.py``: one run, alone or as one job of a sweep."""

from __future__ import annotations

import logging
import math
import sys
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from chainrule.errors import ConfigError, DivergedTrial, JobInterrupted
from chainrule.experiment.run import run
from chainrule.runtime import process
from chainrule.sweeps.launchers import Launcher, searches, why_stopped

log = logging.getLogger("chainrule")


def run_job(cfg: DictConfig, project_root: Path) -> float:
    """Run the job's config and return its objective, for the sweeper.

    A bad setting ends a single run with its message and exit 2 (no traceback); in a sweep it
    fails this job only, and the others run. A diverged run is NaN to a grid, and a failed trial
    to a search (Optuna must not take NaN for a result). A job of its own process (submitit,
    SLURM) that a signal stopped raises :class:`chainrule.errors.JobInterrupted`, saying why.
    """
    hydra = HydraConfig.get()
    try:
        objective = run(cfg, project_root, list(hydra.overrides.task))
    except KeyboardInterrupt:
        launcher = Launcher.of(hydra)
        if hydra.mode != RunMode.MULTIRUN or not launcher.through_submitit or process.interrupted is None:
            raise
        raise JobInterrupted(why_stopped(launcher, process.interrupted)) from None
    except ConfigError as error:
        log.error("configuration error: %s", error)
        if hydra.mode == RunMode.RUN:
            sys.exit(2)  # a bad setting is not a crash: no traceback
        raise
    if math.isnan(objective) and searches(hydra):
        raise DivergedTrial(f"trial diverged (recorded as run {cfg.objective} = NaN); the search goes on")
    return objective
