"""Parallel sweeps (hydra/launcher=joblib): the same parent and children as the basic launcher."""

import os

import pytest

from chainrule.sweep import BLAS_THREADS, limit_blas_threads
from tests.conftest import compose_config  # noqa: F401  (fixture)

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


@pytest.mark.parametrize("n_jobs, cores, expected", [(2, 2, "1"), (2, 8, "4"), (-1, 4, "1"), (3, 2, "1")])
def test_parallel_workers_share_the_cores_instead_of_each_taking_all(monkeypatch, compose_config, n_jobs, cores, expected):
    for variable in BLAS_THREADS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    from hydra import compose, initialize_config_dir

    from tests.conftest import ROOT

    with initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["hydra/launcher=joblib", f"hydra.launcher.n_jobs={n_jobs}"], return_hydra_config=True)
    limit_blas_threads(cfg)
    assert all(os.environ[v] == expected for v in BLAS_THREADS)


def test_the_basic_launcher_leaves_threads_alone(monkeypatch, compose_config):
    for variable in BLAS_THREADS:
        monkeypatch.delenv(variable, raising=False)
    from hydra import compose, initialize_config_dir

    from tests.conftest import ROOT

    with initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", return_hydra_config=True)
    limit_blas_threads(cfg)
    assert not any(v in os.environ for v in BLAS_THREADS)
