"""``hydra/sweeper=grid``, chainrule's default: Hydra's basic sweeper (grids of ``a=1,2 b=x,y``),
checking every override value of a batch before launching it at a fraction of the cost.

Before launching a batch of jobs, Hydra's basic sweeper composes the config of every job in it,
so that an override that cannot be composed (an unknown group option, a value of the wrong type)
stops the sweep before any job runs; the launcher then composes each job's config again to run
it. For an N × M grid that check costs N × M compositions, about 85 ms each here: a fifth of a
small job's whole cost. This sweeper composes just enough of the jobs that every override value
of the batch is in one of them — max(N, M) for a grid over two keys, each job bringing a new
value of every key while it can — which still stops the sweep before any job for a bad value
anywhere in the grid. A failure that only one particular combination of good values causes
shows when that job comes up. And a launcher in this process (Hydra's basic one) is handed the
configs the check composed instead of composing them again, so the check costs no composition
at all there; launchers that compose in other processes (joblib's workers, submitit's jobs) get
a loader without them, and compose every job as before.

Hydra loads sweepers only from the ``hydra_plugins`` namespace, hence this package. (No
``from __future__ import annotations``: Hydra loads the module without registering it in
``sys.modules``, where dataclasses look string annotations up.)
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Set, Tuple

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper, BasicSweeperConf
from hydra.core.config_store import ConfigStore
from hydra.types import HydraContext
from omegaconf import DictConfig


def covering_jobs(batch: Sequence[Sequence[str]]) -> List[Sequence[str]]:
    """Few jobs of ``batch`` (in its order) that hold every override (``key=value``) of it: again
    and again the job bringing the most overrides not held yet, the earliest of those (greedy set
    cover: the first job, then a diagonal of the grid)."""
    missing: Set[str] = {o for overrides in batch for o in overrides}
    chosen: Set[int] = set()
    while missing:
        best = max(range(len(batch)), key=lambda i: (len(missing.intersection(batch[i])), -i))
        chosen.add(best)
        missing.difference_update(batch[best])
    return [batch[i] for i in sorted(chosen)]


class ComposedOnce:
    """Hydra's config loader, but a job's config composed by :meth:`check` is handed out by the next
    :meth:`load_sweep_config` for the same overrides rather than composed again (once: the launcher
    writes the job's number into it). Pickled (to a joblib worker, a submitit job) it holds none."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.checked: Dict[Tuple[str, ...], DictConfig] = {}

    def check(self, master_config: DictConfig, overrides: Sequence[str]) -> None:
        """Compose the job of ``overrides`` (Hydra's error if it cannot be) and keep its config."""
        self.checked[tuple(overrides)] = self.loader.load_sweep_config(master_config, list(overrides))

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: List[str]) -> DictConfig:
        composed = self.checked.pop(tuple(sweep_overrides), None)
        return composed if composed is not None else self.loader.load_sweep_config(master_config, sweep_overrides)

    def __getattr__(self, name: str) -> Any:  # everything else, as Hydra's loader does it
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.loader, name)

    def __getstate__(self) -> Dict[str, Any]:
        return {"loader": self.loader, "checked": {}}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)


class GridSweeper(BasicSweeper):
    def setup(self, *, hydra_context: HydraContext, task_function: Any, config: DictConfig) -> None:
        self.composed = ComposedOnce(hydra_context.config_loader)
        context = HydraContext(config_loader=self.composed, callbacks=hydra_context.callbacks)
        super().setup(hydra_context=context, task_function=task_function, config=config)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        for overrides in covering_jobs(batch):
            self.composed.check(self.config, overrides)


@dataclass
class GridSweeperConf(BasicSweeperConf):
    _target_: str = "hydra_plugins.chainrule_sweeper.grid_sweeper.GridSweeper"


ConfigStore.instance().store(group="hydra/sweeper", name="grid", node=GridSweeperConf, provider="chainrule")
