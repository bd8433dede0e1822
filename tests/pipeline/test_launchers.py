"""Parallel sweeps (hydra/launcher=joblib): the same parent and children as the basic launcher."""

import os

import pytest

from chainrule.sweep import BLAS_THREADS, limit_blas_threads
from tests.conftest import compose_with_hydra

from .test_end_to_end import artifact_paths

JOBLIB = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]


@pytest.mark.slow
def test_a_joblib_sweep_records_exactly_what_the_basic_launcher_does(store):
    store.train("-m", *JOBLIB, "model=logistic,mlp", "train.lr=0.1,1.0", "train.iterations=40")
    runs = store.runs()
    parents = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert sorted(c.info.run_name for c in children) == [
        "logistic-lr0.1-moons", "logistic-lr1-moons", "mlp-w2-relu-lr0.1-moons", "mlp-w2-relu-lr1-moons",
    ]
    assert all(c.info.status == "FINISHED" for c in children)
    assert len({c.data.tags["chainrule.pid"] for c in children}) == 2  # two worker processes did the work
    assert {"sweep_summary.csv", "figures/loss_comparison.png", "figures/heatmap.png"} <= set(
        artifact_paths(store.client, parents[0].info.run_id)
    )


@pytest.mark.slow
def test_a_failed_job_in_a_joblib_worker_is_counted_on_the_parent(store, inject_fault):
    result = store.train("-m", *JOBLIB, "train.lr=0.1,0.5,1.0", "train.iterations=30", check=False,
                         env_extra=inject_fault(0.5))
    parent = next(r for r in store.runs() if r.data.tags.get("chainrule.role") == "sweep")
    assert result.returncode != 0
    assert parent.info.status == "FAILED" and parent.data.tags["chainrule.failed_jobs"] == "1"
    assert "train.lr=0.5" in parent.data.tags["chainrule.failed_job.1"]


@pytest.fixture
def no_thread_settings(monkeypatch):
    for variable in BLAS_THREADS:
        monkeypatch.delenv(variable, raising=False)


@pytest.mark.parametrize("n_jobs, cores, expected", [(2, 2, "1"), (2, 8, "4"), (-1, 4, "1"), (3, 2, "1")])
def test_parallel_workers_share_the_cores_instead_of_each_taking_all(monkeypatch, no_thread_settings, n_jobs, cores, expected):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    limit_blas_threads(compose_with_hydra("hydra/launcher=joblib", f"hydra.launcher.n_jobs={n_jobs}"))
    assert all(os.environ[v] == expected for v in BLAS_THREADS)


def test_the_basic_launcher_leaves_threads_alone(no_thread_settings):
    limit_blas_threads(compose_with_hydra())
    assert not any(v in os.environ for v in BLAS_THREADS)


@pytest.mark.slow
def test_an_optuna_search_is_one_parent_with_a_child_per_trial_and_the_best_recorded(store):
    result = store.train("sweep=lr_optuna", "hydra.sweeper.n_trials=5", "model.hidden_width=8", "train.iterations=60")
    runs = store.runs()
    (parent,) = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert parent.info.run_name.startswith("lr_optuna-") and parent.info.status == "FINISHED"
    assert len(children) == 5 and len({c.data.params["train.lr"] for c in children}) == 5
    assert all(1e-4 <= float(c.data.params["train.lr"]) <= 10 for c in children)
    best = min(children, key=lambda c: c.data.metrics["val/log_loss"])
    assert parent.data.tags["chainrule.best_run_id"] == best.info.run_id
    assert f"Best value: {best.data.metrics['val/log_loss']}" in result.stdout + result.stderr
    assert "figures/objective_over_trials.png" in artifact_paths(store.client, parent.info.run_id)


def wide_search(tmp_path, low, high):
    """A copy of sweep=lr_optuna searching lr in [low, high] (in a --config-dir of the test's own)."""
    extra = tmp_path / "extra" / "sweep"
    extra.mkdir(parents=True)
    (extra / "wide.yaml").write_text(
        "# @package _global_\ndefaults:\n  - lr_optuna\n"
        f"hydra:\n  sweeper:\n    params:\n      train.lr: tag(log, interval({low}, {high}))\n"
    )
    return f"--config-dir={tmp_path / 'extra'}"


@pytest.mark.slow
def test_diverged_trials_are_failures_for_optuna_but_finished_runs_and_the_search_goes_on(store, tmp_path):
    result = store.train(wide_search(tmp_path, 0.01, 100000.0), "sweep=wide", "hydra.sweeper.n_trials=6",
                         "model.hidden_width=8", "train.iterations=60")
    output = result.stdout + result.stderr
    runs = store.runs()
    (parent,) = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    children = [r for r in runs if r is not parent]
    diverged = [c for c in children if c.data.tags.get("chainrule.diverged") == "true"]
    assert len(children) == 6 and 0 < len(diverged) < 6  # every trial ran although some diverged
    assert all(c.info.status == "FINISHED" for c in children)
    assert "Failed experiment: trial diverged" in output and "Best value:" in output
    assert parent.info.status == "FINISHED" and "chainrule.failed_jobs" not in parent.data.tags


@pytest.mark.slow
def test_a_search_whose_every_trial_diverged_ends_failed_not_finished(store, tmp_path):
    result = store.train(wide_search(tmp_path, 1000.0, 100000.0), "sweep=wide", "hydra.sweeper.n_trials=2",
                         "model.hidden_width=8", "train.iterations=30", check=False)
    assert result.returncode != 0  # Optuna has no best trial to report
    (parent,) = [r for r in store.runs() if r.data.tags.get("chainrule.role") == "sweep"]
    assert parent.info.status == "FAILED" and "chainrule.incomplete" in parent.data.tags
