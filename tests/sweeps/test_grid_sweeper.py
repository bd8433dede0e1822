"""The default sweeper (``sweep=grid``): Hydra's basic grid, each override value checked before any job runs."""

import itertools
import pickle
from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode
from hydra_plugins.chainrule_sweeper import grid_sweeper
from hydra_plugins.chainrule_sweeper.grid_sweeper import ComposedOnce, covering_jobs
from omegaconf import DictConfig, ListConfig, OmegaConf

CONF = Path(__file__).resolve().parents[2] / "conf"


def grid(**values):
    return [[f"{k}={v}" for k, v in zip(values, combo)] for combo in itertools.product(*values.values())]


def test_the_jobs_checked_before_launching_hold_every_value_of_the_grid_as_few_as_the_longest_list_of_values():
    jobs = grid(model=["logistic", "mlp"], lr=[0.1, 0.5, 1.0], seed=[0, 1])
    checked = covering_jobs(jobs)
    assert len(jobs) == 12 and len(checked) == 3
    assert {o for job in checked for o in job} == {o for job in jobs for o in job}
    assert checked[0] == jobs[0] and all(job in jobs for job in checked)


def test_a_square_grid_is_checked_along_a_diagonal():
    jobs = grid(lr=[0.01, 0.1, 0.5, 1.0], width=[2, 4, 8, 16])
    assert covering_jobs(jobs) == [["lr=0.01", "width=2"], ["lr=0.1", "width=4"], ["lr=0.5", "width=8"], ["lr=1.0", "width=16"]]


def test_a_single_swept_key_checks_every_job():
    jobs = grid(lr=[0.1, 0.5, 1.0])
    assert covering_jobs(jobs) == jobs


class CountingLoader:
    """Stands for Hydra's config loader: a new config per composition, each one counted."""

    def __init__(self):
        self.composed = []

    def load_sweep_config(self, master_config, sweep_overrides):
        self.composed.append(list(sweep_overrides))
        return {"overrides": list(sweep_overrides)}


def test_a_job_checked_before_launching_is_not_composed_again_when_it_launches():
    loader = CountingLoader()
    composed = ComposedOnce(loader)
    composed.check("master", ["lr=0.1", "width=2"])
    checked = loader.composed[-1]
    config = composed.load_sweep_config("master", ["lr=0.1", "width=2"])
    assert config == {"overrides": checked} and len(loader.composed) == 1
    # Only once: a second launch of the same overrides (a job run again) is composed afresh
    assert composed.load_sweep_config("master", ["lr=0.1", "width=2"]) is not config and len(loader.composed) == 2
    composed.load_sweep_config("master", ["lr=0.5", "width=2"])  # never checked: composed
    assert loader.composed[-1] == ["lr=0.5", "width=2"]


def test_a_loader_sent_to_another_process_carries_no_composed_config():
    # The class as the module holds it now: Hydra's plugin scan executes the module again in
    # this process once an earlier test has made it, and pickle looks a class up by its name
    composed = grid_sweeper.ComposedOnce(CountingLoader())
    composed.check("master", ["lr=0.1"])
    copy = pickle.loads(pickle.dumps(composed))
    assert copy.checked == {} and composed.checked
    copy.load_sweep_config("master", ["lr=0.1"])
    assert copy.loader.composed[-1] == ["lr=0.1"]


@pytest.mark.slow
def test_a_bad_value_at_the_end_of_a_grid_stops_the_sweep_before_any_job(store):
    result = store.train("-m", "model=logistic,mlp", "train.lr=0.1,0.5,abc", "train.iterations=10", check=False)
    assert result.returncode != 0
    assert "train.lr=abc" in result.stderr and "Value 'abc' of type 'str' could not be converted to Float" in result.stderr
    runs = store.runs()
    assert [r.data.tags.get("chainrule.role") for r in runs] == ["sweep"]  # the parent only: no job ran
    assert runs[0].info.status == "FAILED"


class HydraLoader:
    """Hydra's own config loader for conf/, each composition counted."""

    def __init__(self, loader):
        self.loader, self.composed = loader, []
        self.repository = loader.repository

    def load_sweep_config(self, master_config, sweep_overrides):
        self.composed.append(list(sweep_overrides))
        return self.loader.load_sweep_config(master_config, sweep_overrides)


@pytest.fixture
def hydra_loader():
    """(loader, master config) of a sweep (``-m``) of pipelines/train.py, as Hydra makes them."""
    with initialize_config_dir(str(CONF), version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        yield HydraLoader(loader), loader.load_configuration("config", ["hydra/sweeper=grid"], RunMode.MULTIRUN)


def nodes(node, path="config"):
    """Every node under ``node``: its path, type, value as written (None for a container), and
    struct and readonly flags."""
    container = isinstance(node, (DictConfig, ListConfig))
    rows = [(path, type(node).__name__, None if container else node._value(),
             node._get_flag("struct"), node._get_flag("readonly"))]
    if container and not node._is_missing() and not node._is_none():
        keys = node.keys() if isinstance(node, DictConfig) else range(len(node))
        for key in keys:
            rows += nodes(node._get_node(key), f"{path}.{key}")
    return rows


# Plain values of every kind (float, int, null, list, string, an interpolation, a top-level key),
# beside a config group and a hydra key that stay the same within the grid
VALUES_GRID = grid(**{
    "train.lr": [0.01, "${train.tol}"], "model.hidden_widths": ["null", "[8,4]"], "seed": [0, 7],
    "tracking.experiment": ["sweeps", "'with spaces'"], "optimizer": ["adam"], "optimizer.beta_1": [0.5, 0.8],
    "hydra.job.chdir": ["false"],
})


def test_a_job_that_differs_from_one_composed_before_only_in_plain_values_gets_exactly_the_config_hydra_composes(hydra_loader):
    loader, master = hydra_loader
    composed = ComposedOnce(loader)
    fast = [composed.load_sweep_config(master, job) for job in VALUES_GRID]
    assert loader.composed == [VALUES_GRID[0]]  # one composition for the whole grid
    for job, config in zip(VALUES_GRID, fast):
        reference = loader.loader.load_sweep_config(master, job)
        assert OmegaConf.to_yaml(config) == OmegaConf.to_yaml(reference)  # hydra node included
        assert nodes(config) == nodes(reference)  # node types and flags too
        assert config.train.lr == reference.train.lr and config.tracking == reference.tracking  # resolved alike


def test_a_job_that_chooses_other_config_groups_or_adds_or_deletes_keys_is_composed_by_hydra(hydra_loader):
    loader, master = hydra_loader
    composed = ComposedOnce(loader)
    jobs = [["dataset=moons", "train.lr=0.1"], ["dataset=circles", "train.lr=0.1"], ["dataset=circles", "train.lr=0.5"],
            ["+extra=1", "train.lr=0.1"], ["+extra=2", "train.lr=0.1"], ["train.lr=0.1", "~experiment"],
            ["train.lr=0.1", "optimizer.momentum=0.5", "optimizer=momentum"]]
    configs = [composed.load_sweep_config(master, job) for job in jobs]
    assert loader.composed == [jobs[0], jobs[1], jobs[3], jobs[4], jobs[5], jobs[6]]  # only circles' lr=0.5 reused one
    assert configs[2].dataset.name == "circles" and configs[2].train.lr == 0.5 and configs[4].extra == 2
    assert OmegaConf.to_yaml(configs[2]) == OmegaConf.to_yaml(loader.loader.load_sweep_config(master, jobs[2]))


def test_a_grid_over_values_is_checked_and_launched_for_one_composition(hydra_loader):
    loader, master = hydra_loader
    composed = ComposedOnce(loader)
    jobs = grid(**{"train.lr": [0.01, 0.1, 0.5, 1.0], "model.hidden_width": [2, 4, 8, 16]})
    for job in covering_jobs(jobs):
        composed.check(master, job)
    configs = [composed.load_sweep_config(master, job) for job in jobs]
    assert loader.composed == [jobs[0]]
    assert [(c.train.lr, c.model.hidden_width) for c in configs] == [(lr, w) for lr in (0.01, 0.1, 0.5, 1.0) for w in (2, 4, 8, 16)]


@pytest.mark.parametrize("stage", ["check", "load_sweep_config"])
def test_a_value_its_key_cannot_take_is_reported_by_hydras_composition(hydra_loader, stage):
    loader, master = hydra_loader
    composed = ComposedOnce(loader)
    composed.check(master, ["train.lr=0.1"])
    with pytest.raises(ConfigCompositionException, match="train.lr=abc") as error:
        getattr(composed, stage)(master, ["train.lr=abc"])
    assert "could not be converted to Float" in str(error.value.__cause__ or error.value)
    assert loader.composed[-1] == ["train.lr=abc"]


def test_a_config_handed_out_is_the_jobs_own_writing_into_it_changes_no_later_job(hydra_loader):
    loader, master = hydra_loader
    composed = ComposedOnce(loader)
    first = composed.load_sweep_config(master, ["train.lr=0.1"])
    first.train.iterations = 3  # as a job may (the launcher writes its number, the run what it dropped)
    second = composed.load_sweep_config(master, ["train.lr=0.5"])
    assert second.train.iterations != 3 and second.train.lr == 0.5 and list(second.hydra.overrides.task) == ["train.lr=0.5"]
