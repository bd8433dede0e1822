"""The default sweeper (``sweep=grid``): Hydra's basic grid, each override value checked before any job runs."""

import itertools
import pickle

import pytest
from hydra_plugins.chainrule_sweeper import grid_sweeper
from hydra_plugins.chainrule_sweeper.grid_sweeper import ComposedOnce, covering_jobs


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
