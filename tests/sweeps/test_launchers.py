"""Parallel and cluster sweeps: hydra/launcher=joblib (worker processes), local (submitit: a
process per job, SLURM's code path without a scheduler) and slurm (job arrays) record the same
parent and children as the basic launcher."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hydra.utils import instantiate
from submitit.core.utils import FailedJobError

from chainrule.sweeps.launchers import BLAS_THREADS, Launcher, limit_blas_threads, searches
from chainrule.tracking import PARENT_RUN_ENV
from tests.conftest import ROOT, artifact_paths, compose_with_hydra, env_for_make, sitecustomize_env

from tests.reliability.conftest import assert_refused_in_one_line, launch, running_runs, wait_for  # noqa: F401  (launch: a fixture)
from tests.reliability.test_faults import LONG


LAUNCHERS = {
    "joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],  # two worker processes
    "submitit": ["hydra/launcher=local"],  # a process per job, through submitit (as on SLURM)
}
GRID = ["model=logistic,mlp", "train.lr=0.1,1.0", "train.iterations=40"]


@pytest.fixture
def no_thread_settings(monkeypatch):
    for variable in BLAS_THREADS:
        monkeypatch.delenv(variable, raising=False)


def sweep_runs(store):
    """The sweep's parent run and its children."""
    runs = store.runs()
    (parent,) = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    return parent, [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]


def process_start_probe(folder: Path) -> dict:
    """Environment making every Python process write ``folder/<pid>.json`` as it starts, before
    any code of ours runs (a sitecustomize), and as it is forked: its BLAS thread settings and
    parent run id, as inherited, when it started, the process it was forked from, if any, and
    which of MLflow, scikit-learn and matplotlib it had imported by then."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = [*BLAS_THREADS, PARENT_RUN_ENV]
    (folder / "sitecustomize.py").write_text(
        "import json, os, sys, time\n"
        "def probe(forked_from=None):\n"
        f"    with open(os.path.join({str(folder)!r}, f'{{os.getpid()}}.json'), 'w') as f:\n"
        f"        json.dump({{k: os.environ.get(k) for k in {keys!r}}} | {{'started': time.time(), 'forked_from': forked_from,\n"
        "                   'imported': [m for m in ('mlflow', 'sklearn', 'matplotlib') if m in sys.modules]}, f)\n"
        "probe()\n"
        "os.register_at_fork(after_in_child=lambda: probe(forked_from=os.getppid()))\n"
    )
    return {"PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])}


@pytest.mark.slow
@pytest.mark.parametrize("launcher, processes, threads", [
    ("joblib", 2, max(1, (os.cpu_count() or 1) // 2)),  # cores ÷ workers
    ("submitit", 4, 1),  # one process per job; conf/hydra/launcher/local.yaml: cpus_per_task 1
])
def test_a_parallel_sweep_records_exactly_what_the_basic_launcher_does(store, tmp_path, no_thread_settings,
                                                                      launcher, processes, threads):
    store.train("-m", *LAUNCHERS[launcher], *GRID, env_extra=process_start_probe(tmp_path / "started"))
    parent, children = sweep_runs(store)
    assert parent.info.status == "FINISHED"
    assert sorted(c.info.run_name for c in children) == [
        "logistic-lr0.1-moons", "logistic-lr1-moons", "mlp-w2-relu-lr0.1-moons", "mlp-w2-relu-lr1-moons",
    ]
    assert all(c.info.status == "FINISHED" for c in children)
    assert {"sweep_summary.csv", "figures/loss_comparison.png", "figures/heatmap.png"} <= set(
        artifact_paths(store.client, parent.info.run_id)
    )
    job_pids = {c.data.tags["chainrule.pid"] for c in children}
    assert len(job_pids) == processes and parent.data.tags["chainrule.pid"] not in job_pids
    started = {pid: json.loads((tmp_path / "started" / f"{pid}.json").read_text()) for pid in job_pids}
    assert all(env[v] == str(threads) for env in started.values() for v in BLAS_THREADS)
    parent_created = parent.info.start_time / 1000
    if launcher == "joblib":
        # Its workers are forked from one server process, started as the sweep begins: it has
        # imported what a job needs by then, and they learn the parent run from the callback.
        (server,) = {env["forked_from"] for env in started.values()}
        server_started = json.loads((tmp_path / "started" / f"{server}.json").read_text())["started"]
        assert str(server) != parent.data.tags["chainrule.pid"] and server_started < parent_created
        assert all(env["imported"] == ["mlflow", "sklearn", "matplotlib"] for env in started.values())
        assert all(env[PARENT_RUN_ENV] is None for env in started.values())
    else:  # a process per job, started afresh with the parent run's id in its environment
        assert all(env["forked_from"] is None and env["imported"] == [] for env in started.values())
        assert all(env["started"] > parent_created for env in started.values())
        assert all(env[PARENT_RUN_ENV] == parent.info.run_id for env in started.values())


def processes_in_session(session: int) -> list[str]:
    """The command lines of the processes still in ``session``."""
    found = subprocess.run(["ps", "-o", "args=", "-s", str(session)], capture_output=True, text=True)
    return found.stdout.splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("sig, to_group", [
    (signal.SIGINT, True),    # Ctrl-C in a terminal: every process of the sweep gets it
    (signal.SIGINT, False),   # only the launching process, which passes it on to the workers
    (signal.SIGTERM, False),  # kill, a scheduler, a container stopping
], ids=["ctrl-c-in-a-terminal", "sigint-to-the-launcher", "sigterm-to-the-launcher"])
def test_an_interrupted_joblib_sweep_ends_the_parent_and_every_training_job_killed_with_its_history(
        store, launch, sig, to_group):
    proc = launch("-m", *LAUNCHERS["joblib"], "train.lr=0.1,0.2,0.3,0.4", *LONG, start_new_session=True)
    wait_for(lambda: len([r for r in running_runs(store) if "mlflow.parentRunId" in r.data.tags]) == 2,
             what="both workers training")
    time.sleep(1)
    if to_group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, output
    parent, children = sweep_runs(store)
    assert parent.info.status == "KILLED" and parent.data.tags["chainrule.interrupted"] == sig.name
    assert [c.info.status for c in children] == ["KILLED", "KILLED"], output
    for child in children:  # each closed by its worker, with its history, before joblib killed them
        done = int(child.data.tags["chainrule.interrupted_at"])
        assert done > 0 and len(store.client.get_metric_history(child.info.run_id, "train/loss")) == done
    assert not running_runs(store)
    wait_for(lambda: not processes_in_session(proc.pid), timeout=10, what="the workers and their server to end")


@pytest.mark.slow
def test_a_failed_job_in_a_joblib_worker_is_counted_on_the_parent(store, inject_fault):
    result = store.train("-m", *LAUNCHERS["joblib"], "train.lr=0.1,0.5,1.0", "train.iterations=30", check=False,
                         env_extra=inject_fault(0.5))
    parent = next(r for r in store.runs() if r.data.tags.get("chainrule.role") == "sweep")
    assert result.returncode != 0
    assert parent.info.status == "FAILED" and parent.data.tags["chainrule.failed_jobs"] == "1"
    assert "train.lr=0.5" in parent.data.tags["chainrule.failed_job.1"]


@pytest.mark.slow
def test_submitit_jobs_record_under_the_parent_and_keep_their_files_in_the_sweep_folder_without_its_environment(store):
    # Each job's process starts after these setup lines, on what a cluster node that does not get
    # the sweep's environment would have: no parent run id, a store of its own. Job 0 fails in its
    # process before it has a run (a bad setting): only Hydra's on_job_end, run there, can tell the parent.
    elsewhere = store.folder / "elsewhere.db"
    node_environment = f"['unset {PARENT_RUN_ENV}', 'export MLFLOW_TRACKING_URI=sqlite:///{elsewhere}']"
    result = store.train("-m", *LAUNCHERS["submitit"], "train.lr=-1,0.5", "model=logistic", "train.iterations=20",
                         f"+hydra.launcher.setup={node_environment}", check=False)
    parent, children = sweep_runs(store)
    assert result.returncode != 0
    assert parent.info.status == "FAILED" and parent.data.tags["chainrule.failed_jobs"] == "1"
    assert "train.lr=-1" in parent.data.tags["chainrule.failed_job.0"]
    assert [(c.data.params["train.lr"], c.info.status) for c in children] == [("0.5", "FINISHED")]  # the other job ran
    assert not elsewhere.exists()
    assert len(list((store.folder / "multirun" / ".submitit").glob("*/*_log.err"))) == 2  # one per job
    assert not (store.folder / ".submitit").exists()


def submitit_waits_for_a_missing_result(folder: Path, seconds: int) -> dict:
    """Environment in which submitit looks ``seconds`` (not its 15) for the result file of a job whose
    process has ended (a sitecustomize; submitit's own tests set the same attribute to 0).

    A job stopped by SIGTERM never writes that file, so its launching process would wait the full
    15 s for nothing; the job's run was closed by then, in the job's process, before it ended."""
    return sitecustomize_env(folder, f"import submitit.core.core\nsubmitit.core.core.Job._results_timeout_s = {seconds}\n")


@pytest.mark.slow
def test_scancel_or_a_time_limit_ends_a_submitit_jobs_run_killed(store, launch, tmp_path):
    # SLURM stops a job (scancel, time limit, preemption) with SIGTERM, then SIGKILL; submitit's job
    # process would ignore the SIGTERM and the SIGKILL would leave the run RUNNING.
    proc = launch("-m", *LAUNCHERS["submitit"], "train.lr=0.1", *LONG,
                  env_extra=submitit_waits_for_a_missing_result(tmp_path / "no-wait", 1))
    (run,) = wait_for(lambda: [r for r in running_runs(store) if "mlflow.parentRunId" in r.data.tags],
                      timeout=120, what="the job's run to start")
    time.sleep(1)
    os.kill(int(run.data.tags["chainrule.pid"]), signal.SIGTERM)  # the job's process, as slurmstepd does
    proc.communicate(timeout=120)
    (run,) = [r for r in store.runs() if r.info.run_id == run.info.run_id]
    assert run.info.status == "KILLED"
    assert int(run.data.tags["chainrule.interrupted_at"]) > 0  # with the history so far
    assert not running_runs(store)


@pytest.mark.parametrize("overrides, cores, expected", [
    (["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"], 2, "1"),
    (["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"], 8, "4"),
    (["hydra/launcher=joblib", "hydra.launcher.n_jobs=-1"], 4, "1"),
    (["hydra/launcher=joblib", "hydra.launcher.n_jobs=3"], 2, "1"),
    (["hydra/launcher=local"], 8, "1"),  # its cpus_per_task, not the machine's cores
    (["hydra/launcher=slurm", "hydra.launcher.cpus_per_task=4"], 2, "4"),  # what SLURM gives each job
])
def test_parallel_jobs_share_the_cores_instead_of_each_taking_all(monkeypatch, no_thread_settings, overrides, cores,
                                                                  expected):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    limit_blas_threads(compose_with_hydra(*overrides))
    assert all(os.environ[v] == expected for v in BLAS_THREADS)


def test_the_basic_launcher_leaves_threads_alone(no_thread_settings):
    limit_blas_threads(compose_with_hydra())
    assert not any(v in os.environ for v in BLAS_THREADS)


def test_the_slurm_config_is_the_plugins_with_our_values_on_top(tmp_path):
    launcher = compose_with_hydra("hydra/launcher=slurm", f"hydra.sweep.dir={tmp_path}").hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.partition, launcher.timeout_min, launcher.cpus_per_task, launcher.mem_gb,
            launcher.array_parallelism) == (None, 60, 1, 4, 16)
    assert launcher.submitit_folder == f"{tmp_path}/.submitit/%j"


@pytest.fixture
def sbatch_stand_in(tmp_path, monkeypatch):
    """``srun`` and ``sbatch`` stand-ins on PATH: sbatch keeps the script it is given, then fails
    as on a machine without SLURM, so nothing is ever submitted. Returns the kept script's path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "sbatch").write_text(
        f'#!/bin/sh\ncp "$1" {bin_dir}/submitted.sh\necho "sbatch: no cluster here" >&2\nexit 1\n'
    )
    for tool in ("srun", "sbatch"):
        (bin_dir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir / "submitted.sh"


def test_a_slurm_sweep_is_one_sbatch_job_array_with_the_configured_resources(sbatch_stand_in, tmp_path):
    config = compose_with_hydra(
        "hydra/launcher=slurm", f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra.launcher.partition=cpu",
        "hydra.launcher.timeout_min=90", "hydra.launcher.cpus_per_task=4", "hydra.launcher.mem_gb=8",
        "hydra.launcher.array_parallelism=2", "hydra.launcher.setup=['module load python/3.11']",
    )
    launcher = instantiate(config.hydra.launcher)  # what Hydra builds from hydra.launcher
    launcher.setup(hydra_context=None, task_function=print, config=config)
    with pytest.raises(FailedJobError, match="no cluster here"):
        launcher.launch([["train.lr=0.1"], ["train.lr=0.5"], ["train.lr=1.0"]], initial_job_idx=0)
    script = sbatch_stand_in.read_text().splitlines()
    for line in ["#SBATCH --partition=cpu", "#SBATCH --time=90", "#SBATCH --cpus-per-task=4", "#SBATCH --mem=8GB",
                 "#SBATCH --array=0-2%2", "#SBATCH --ntasks-per-node=1", "module load python/3.11"]:
        assert line in script
    assert f"#SBATCH --output={tmp_path}/sweep/.submitit/%A_%a/%A_%a_0_log.out" in script


@pytest.mark.parametrize("knobs, overrides", [
    ([], []),
    (["JOBS=2"], ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]),
    (["LAUNCHER=local"], ["hydra/launcher=local"]),
    (["LAUNCHER=slurm", "JOBS=4"], ["hydra/launcher=slurm", "hydra.launcher.array_parallelism=4"]),
])
def test_make_sweep_chooses_the_launcher_and_how_many_jobs_run_at_once(knobs, overrides):
    dry_run = subprocess.run(["make", "--no-print-directory", "-n", "sweep", *knobs], cwd=ROOT, env=env_for_make(),
                             capture_output=True, text=True, check=True)
    assert dry_run.stdout.splitlines()[-1].split() == [".venv/bin/python", "pipelines/train.py", "sweep=lr_grid",
                                                       *overrides]


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


@pytest.mark.parametrize("overrides, launcher, helper", [
    ([], Launcher.BASIC, "fork"),
    (["hydra/launcher=joblib"], Launcher.JOBLIB, "forkserver"),
    (["hydra/launcher=local"], Launcher.SUBMITIT_LOCAL, None),
    (["hydra/launcher=submitit_local"], Launcher.SUBMITIT_LOCAL, None),
    (["hydra/launcher=slurm"], Launcher.SLURM, None),
])
def test_one_place_says_what_each_launcher_is_and_how_its_figures_are_drawn(tmp_path, overrides, launcher, helper):
    hydra = compose_with_hydra(*overrides, f"hydra.sweep.dir={tmp_path}").hydra
    assert Launcher.of(hydra) is launcher
    assert launcher.figure_helper == helper
    assert launcher.runs_jobs_here == (launcher is Launcher.BASIC)
    assert launcher.through_submitit == (launcher in (Launcher.SUBMITIT_LOCAL, Launcher.SLURM))


def test_only_optuna_searches():
    assert searches(compose_with_hydra("sweep=lr_optuna").hydra)
    assert not searches(compose_with_hydra("sweep=lr_grid").hydra) and not searches(compose_with_hydra().hydra)


def test_a_slurm_sweep_where_there_is_no_sbatch_stops_in_one_line_before_anything_is_created(store, tmp_path):
    no_slurm = tmp_path / "bin"  # a PATH without sbatch (or anything else: the refusal needs nothing)
    no_slurm.mkdir()
    result = store.train("-m", "hydra/launcher=slurm", "train.lr=0.1,0.5", check=False, env_extra={"PATH": str(no_slurm)})
    assert_refused_in_one_line(result, "hydra/launcher=slurm (LAUNCHER=slurm) submits the jobs with sbatch, which is "
                                       "not on PATH", store=store)
