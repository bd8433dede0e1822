"""``hydra/sweeper=grid``, chainrule's default: Hydra's basic sweeper (grids of ``a=1,2 b=x,y``),
checking every override value of a batch before launching it at a fraction of the cost.

Before launching a batch of jobs, Hydra's basic sweeper composes the config of every job in it,
so that an override that cannot be composed (an unknown group option, a value of the wrong type)
stops the sweep before any job runs; the launcher then composes each job's config again to run
it. For an N × M grid that check costs N × M compositions, about 85 ms each here: a fifth of a
small job's whole cost. This sweeper checks just enough of the jobs that every override value
of the batch is in one of them — max(N, M) for a grid over two keys, each job bringing a new
value of every key while it can — which still stops the sweep before any job for a bad value
anywhere in the grid. A failure that only one particular combination of good values causes
shows when that job comes up. And a launcher in this process (Hydra's basic one) is handed the
configs the check made instead of making them again, so the check costs nothing there. And a job
that differs from a job composed before only in the values of plain keys (``train.lr=0.5`` where
it had ``train.lr=0.1``), checked or launched, is that job's config with the new values set as
Hydra's composition sets them, which checks them as composing does: about 8 ms instead of 85
(:class:`ComposedOnce`), so a grid over values costs one composition in all. Launchers that
compose in other processes (joblib's workers, submitit's jobs) get a loader without either, and
compose every job as before.

Hydra loads sweepers only from the ``hydra_plugins`` namespace, hence this package. (No
``from __future__ import annotations``: Hydra loads the module without registering it in
``sys.modules``, where dataclasses look string annotations up.)
"""

import copy
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper, BasicSweeperConf
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from hydra.types import HydraContext
from omegaconf import DictConfig, OmegaConf, open_dict


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
    """Hydra's config loader, composing each job of a sweep at most once, and most jobs never.

    - A job's config made by :meth:`check` is handed out by the next :meth:`load_sweep_config` for
      the same overrides rather than made again (once: the launcher writes the job's number into it).
    - A job whose overrides differ from those of a job composed before only in the values of plain
      keys — the same keys in the same order, the same config groups and ``hydra.`` overrides, no
      ``+``, ``++`` or ``~``, no dict value — starts from a copy of that job's config: the new values
      are set by Hydra's own step of composition that sets them (``_apply_overrides_to_config``),
      and the fields of the ``hydra`` node that composition derives from the overrides are derived
      again. Composing the defaults tree anew would build the same config around them. Any failure
      on the way sends the job to Hydra's composition, which then reports it as usual.

    Pickled (to a joblib worker, a submitit job) it holds neither.
    """

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.checked: Dict[Tuple[str, ...], DictConfig] = {}
        self.templates: Dict[Tuple[str, ...], DictConfig] = {}  # shape of a job's overrides -> a config of that shape
        self._parser: Optional[OverridesParser] = None

    def check(self, master_config: DictConfig, overrides: Sequence[str]) -> None:
        """Make the config of the job of ``overrides`` (Hydra's error if it cannot be) and keep it."""
        self.checked[tuple(overrides)] = self._config(master_config, list(overrides))

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: List[str]) -> DictConfig:
        composed = self.checked.pop(tuple(sweep_overrides), None)
        return composed if composed is not None else self._config(master_config, sweep_overrides)

    def _config(self, master_config: DictConfig, overrides: List[str]) -> DictConfig:
        """The job's config: from a template of its shape if there is one, else composed by Hydra.
        Setting a value checks it as composing does (its type, its key), so a bad one fails either
        way, and is then reported by Hydra's composition."""
        shape, parsed, values = self._shape(master_config, overrides)
        template = self.templates.get(shape) if shape is not None else None
        if template is not None:
            try:
                return _with_values(template, master_config, parsed, values)
            except Exception:  # noqa: BLE001 — Hydra's composition below reports what is wrong
                pass
        return self._compose(master_config, overrides, shape)

    def _compose(self, master_config: DictConfig, overrides: List[str], shape: Optional[Tuple[str, ...]]) -> DictConfig:
        """Hydra's composition of the job; a copy kept (the job writes into its own) as the template
        of its ``shape``, if it has one and none is kept yet."""
        config = self.loader.load_sweep_config(master_config, overrides)
        if shape is not None and shape not in self.templates:
            self.templates[shape] = copy.deepcopy(config)
        return config

    def _shape(self, master_config: DictConfig, overrides: Sequence[str]):
        """What a template must share with the job of ``overrides`` — the key of each plain value
        (:func:`_plain_value`), every other override as written — or None if no job can share a
        config with this one; and the parsed overrides, and those of them that are plain values."""
        try:
            if self._parser is None:
                self._parser = OverridesParser.create()
            parsed = self._parser.parse_overrides(list(overrides))
            # A group found only on an extra search path would pass for a plain key below.
            if OmegaConf.select(master_config, "hydra.searchpath"):
                return None, parsed, []
            repository = self.loader.repository
        except Exception:  # noqa: BLE001 — not for us to judge: Hydra's composition will
            return None, [], []
        plain = [_plain_value(o, repository) for o in parsed]
        values = [o for o, is_plain in zip(parsed, plain) if is_plain]
        if not values:
            return None, parsed, values
        shape = tuple(f"{o.key_or_group}=" if is_plain else o.input_line for o, is_plain in zip(parsed, plain))
        return shape, parsed, values

    def __getattr__(self, name: str) -> Any:  # everything else, as Hydra's loader does it
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.loader, name)

    def __getstate__(self) -> Dict[str, Any]:
        return {"loader": self.loader, "checked": {}, "templates": {}, "_parser": None}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)


def _plain_value(override: Override, repository: Any) -> bool:
    """Whether ``override`` only sets the value of a key of the composed config (``train.lr=0.5``):
    not a config group, not a ``hydra.`` key, no ``+``/``++``/``~``, no package, not a dict (a dict
    is merged into what is there, not put in its place)."""
    return (
        override.type == OverrideType.CHANGE
        and override.package is None
        and not override.is_hydra_override()
        and not override.is_sweep_override()
        and not isinstance(override.value(), dict)
        and not repository.group_exists(override.key_or_group)
    )


def _with_values(template: DictConfig, master_config: DictConfig, parsed: List[Override],
                 values: List[Override]) -> DictConfig:
    """A copy of ``template`` with ``values`` set, and the fields of its ``hydra`` node that Hydra's
    composition derives from the overrides (``parsed``, all of them) and from the process derived
    again, as ``ConfigLoaderImpl._load_configuration_impl`` and ``load_sweep_config`` do (hydra-core 1.3)."""
    config = copy.deepcopy(template)
    ConfigLoaderImpl._apply_overrides_to_config(values, config)
    task = [o for o in parsed if not o.is_hydra_override()]
    hydra = config.hydra
    hydra.overrides.task = [o.input_line for o in task]
    with open_dict(hydra):
        for key in hydra.job.env_copy:
            hydra.job.env_set[key] = os.environ[key]
    hydra.runtime.cwd = os.getcwd()
    names = hydra.job.config.override_dirname
    hydra.job.override_dirname = get_overrides_dirname(
        overrides=task, kv_sep=names.kv_sep, item_sep=names.item_sep, exclude_keys=list(names.exclude_keys)
    )
    OmegaConf.copy_cache(from_config=master_config, to_config=config)
    return config


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
