"""make bench: print the benchmark tables; exit 1 if a target is missed."""

import sys

import hydra
from omegaconf import DictConfig

from chainrule.benchmarks import core_speed


@hydra.main(version_base="1.3", config_path="../conf", config_name="bench")
def main(cfg: DictConfig) -> None:
    cases = [core_speed.Case(**case) for case in cfg.core_cases]
    table = core_speed.run(cases, lr=cfg.lr, repeats=cfg.repeats)
    print("Core: our MLP vs scikit-learn MLPClassifier (float64), full-batch gradient descent, same weights")
    print(table.to_string(index=False))
    if not table["met"].all():
        sys.exit(1)


if __name__ == "__main__":
    main()
