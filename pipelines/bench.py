"""make bench: print the benchmark tables; exit 1 if a target is missed."""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from chainrule import process
from chainrule.benchmarks import core_speed, figure_speed, pipeline_speed

PROJECT_ROOT = Path(__file__).resolve().parents[1]

process.tune_gc_for_batch()  # as in pipelines/train.py, so logging is timed as a run does it


@hydra.main(version_base="1.3", config_path="../conf", config_name="bench")
def main(cfg: DictConfig) -> None:
    met = True
    if "core" in cfg.sections:
        cases = [core_speed.Case(**case) for case in cfg.core_cases]
        table = core_speed.run(cases, lr=cfg.lr, repeats=cfg.repeats)
        print("Core: our MLP vs scikit-learn MLPClassifier (float64), full-batch gradient descent, same weights")
        print(table.to_string(index=False), end="\n\n", flush=True)
        met &= bool(table["met"].all())
    if "figures" in cfg.sections:
        table = figure_speed.run(cfg.repeats)
        print("Figures: render time at default size, PNG included (median)")
        print(table.to_string(index=False), end="\n\n", flush=True)
        met &= bool(table["met"].all())
    if "pipeline" in cfg.sections:
        p = cfg.pipeline
        table = pipeline_speed.run(
            PROJECT_ROOT, p.repeats, list(p.sweep), p.history_steps, list(p.parallel.sweep), p.parallel.jobs
        )
        print("Pipeline: wall-clock seconds (subprocesses, throw-away SQLite stores)")
        print(table.to_string(index=False), flush=True)
        met &= bool(table["met"].all())
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
