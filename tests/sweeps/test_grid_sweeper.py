"""The default sweeper (``sweep=grid``): Hydra's basic grid, each override value checked before any job runs."""

import itertools

import pytest
from hydra_plugins.chainrule_sweeper.grid_sweeper import covering_jobs


def grid(**values):
    return [[f"{k}={v}" for k, v in zip(values, combo)] for combo in itertools.product(*values.values())]


def test_the_jobs_checked_before_launching_hold_every_value_of_the_grid_once_the_first_time():
    jobs = grid(model=["logistic", "mlp"], lr=[0.1, 0.5, 1.0], seed=[0, 1])
    checked = covering_jobs(jobs)
    assert len(jobs) == 12 and len(checked) == 1 + 1 + 2 + 1
    assert {o for job in checked for o in job} == {o for job in jobs for o in job}
    assert checked[0] == jobs[0] and all(job in jobs for job in checked)


def test_a_single_swept_key_checks_every_job():
    jobs = grid(lr=[0.1, 0.5, 1.0])
    assert covering_jobs(jobs) == jobs


@pytest.mark.slow
def test_a_bad_value_at_the_end_of_a_grid_stops_the_sweep_before_any_job(store):
    result = store.train("-m", "model=logistic,mlp", "train.lr=0.1,0.5,abc", "train.iterations=10", check=False)
    assert result.returncode != 0
    assert "train.lr=abc" in result.stderr and "Value 'abc' of type 'str' could not be converted to Float" in result.stderr
    runs = store.runs()
    assert [r.data.tags.get("chainrule.role") for r in runs] == ["sweep"]  # the parent only: no job ran
    assert runs[0].info.status == "FAILED"
