"""``hydra/sweeper=grid``, chainrule's default: Hydra's basic sweeper (grids of ``a=1,2 b=x,y``),
checking every override value of a batch before launching it at a fraction of the cost.

Before launching a batch of jobs, Hydra's basic sweeper composes the config of every job in it,
so that an override that cannot be composed (an unknown group option, a value of the wrong type)
stops the sweep before any job runs; the launcher then composes each job's config again to run
it. For an N × M grid that check costs N × M compositions, about 55 ms each here: a tenth of a
small job's whole cost. This sweeper composes just enough of the jobs that every override value
of the batch is in one of them — 1 + (N − 1) + (M − 1) for a grid over two keys — which still
stops the sweep before any job for a bad value anywhere in the grid. A failure that only one
particular combination of good values causes shows when that job comes up.

Hydra loads sweepers only from the ``hydra_plugins`` namespace, hence this package. (No
``from __future__ import annotations``: Hydra loads the module without registering it in
``sys.modules``, where dataclasses look string annotations up.)
"""

from dataclasses import dataclass
from typing import List, Sequence, Set

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper, BasicSweeperConf
from hydra.core.config_store import ConfigStore


def covering_jobs(batch: Sequence[Sequence[str]]) -> List[Sequence[str]]:
    """The jobs of ``batch``, in order, that bring an override (``key=value``) no earlier one had."""
    seen: Set[str] = set()
    covering = []
    for overrides in batch:
        if not seen.issuperset(overrides):
            covering.append(overrides)
            seen.update(overrides)
    return covering


class GridSweeper(BasicSweeper):
    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        super().validate_batch_is_legal(covering_jobs(batch))


@dataclass
class GridSweeperConf(BasicSweeperConf):
    _target_: str = "hydra_plugins.chainrule_sweeper.grid_sweeper.GridSweeper"


ConfigStore.instance().store(group="hydra/sweeper", name="grid", node=GridSweeperConf, provider="chainrule")
