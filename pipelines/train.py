"""Train, score and log one configuration; with -m (or a sweep preset), one per job.

    python pipelines/train.py model=mlp model.hidden_width=3 train.lr=0.1
    python pipelines/train.py sweep=lr_grid
"""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from chainrule.experiment import schemas
from chainrule.runtime import cli, process

PROJECT_ROOT = Path(__file__).resolve().parents[1]

process.setup()  # SIGTERM as Ctrl-C: a run that is stopped ends KILLED
schemas.register()


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float:
    # MLflow and scikit-learn (seconds) are imported here rather than at the top, so that a joblib
    # sweep starts its workers first and they import all that at the same time.
    with process.importing():
        from chainrule.sweeps import job
    return job.run_job(cfg, PROJECT_ROOT)


if __name__ == "__main__":
    cli.main(main)
