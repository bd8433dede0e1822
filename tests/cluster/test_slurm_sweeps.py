"""Sweeps through a real SLURM scheduler (slurmctld + slurmd of the tests' own, ``tests/cluster/conftest.py``):
``make sweep LAUNCHER=slurm`` submits one job array, JOBS caps it, and every way a job can end —
finished, cancelled, warned, past its time limit, failed in Python — is recorded on its run and on
the sweep's parent."""

import subprocess

import pytest

from tests.conftest import ROOT, artifact_paths, env_for_make
from tests.reliability.conftest import launch, running_runs, wait_for  # noqa: F401  (launch: a fixture)
from tests.reliability.test_faults import LONG
from tests.sweeps.test_launchers import sweep_runs

pytestmark = pytest.mark.slow


def fits_the_cluster(cluster, timeout_min: int) -> list[str]:
    """Overrides of conf/hydra/launcher/slurm.yaml for the test cluster: its partition, little memory,
    a short time limit."""
    return [f"hydra.launcher.partition={cluster.partition}", "hydra.launcher.mem_gb=1",
            f"hydra.launcher.timeout_min={timeout_min}"]


def watch_squeue(cluster, proc: subprocess.Popen, timeout: float) -> list[list[tuple[str, str]]]:
    """What ``squeue`` lists, polled until ``proc`` (a sweep) ends: one list of (job, state) per look."""
    seen = []

    def sweep_ended() -> bool:
        seen.append(cluster.jobs())
        return proc.poll() is not None

    wait_for(sweep_ended, timeout=timeout, interval=0.2, what="the sweep to end")
    return seen


def test_make_sweep_on_slurm_is_one_job_array_at_most_jobs_at_once_every_child_finished_under_one_parent(
        slurm_cluster, store):
    # Two of lr_grid's four learning rates, for its two models: four jobs.
    args = " ".join([*fits_the_cluster(slurm_cluster, 5), "train.lr=0.1,1.0", "train.iterations=30", "progress=0", f"hydra.sweep.dir={store.folder / 'multirun'}"])
    proc = subprocess.Popen(["make", "--no-print-directory", "sweep", "LAUNCHER=slurm", "JOBS=2", f"ARGS={args}"],
                            cwd=ROOT, env=env_for_make(SLURM_CONF=slurm_cluster.env["SLURM_CONF"],
                                                       MLFLOW_TRACKING_URI=store.uri),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = watch_squeue(slurm_cluster, proc, timeout=240)
    output = proc.communicate()[0]
    assert proc.returncode == 0, output
    listed = {job for look in seen for job, _ in look}
    running = [{job for job, state in look if state == "RUNNING"} for look in seen]
    assert len({job.split("_")[0] for job in listed}) == 1  # one array: <array id>_<task> (and _[2-3%2] pending)
    assert max(len(jobs) for jobs in running) == 2  # two at a time on a node of four CPUs: JOBS=2 is the cap
    parent, children = sweep_runs(store)
    assert parent.info.status == "FINISHED" and len(children) == 4  # logistic, mlp × two learning rates
    assert all(c.info.status == "FINISHED" for c in children)
    assert {c.data.tags["chainrule.slurm_job"] for c in children} <= set().union(*running)  # each seen running
    assert {"sweep_summary.csv", "figures/loss_comparison.png", "figures/heatmap.png"} <= set(
        artifact_paths(store.client, parent.info.run_id))
    assert not [job for job, state in slurm_cluster.jobs() if state in ("PENDING", "RUNNING")]


def child(children, lr: str, iterations: str):
    (found,) = [c for c in children if (c.data.params["train.lr"], c.data.params["train.iterations"]) == (lr, iterations)]
    return found


def training(store, lr: str):
    """The long run of ``lr`` once its job has logged a training iteration (``progress``), or None."""
    for run in running_runs(store):
        if (run.data.params.get("train.lr"), run.data.params.get("train.iterations")) == (lr, "100000"):
            job = run.data.tags["chainrule.slurm_job"]
            logs = (store.folder / "multirun" / ".submitit" / job).glob(f"{job}_0_log.*")
            return run if any("iteration " in log.read_text() for log in logs) else None
    return None


def test_cancelled_warned_timed_out_and_failed_slurm_jobs_end_killed_or_failed_and_the_parent_names_them(
        slurm_cluster, store, launch, inject_fault):
    # Eight jobs: three quick ones that finish, two that raise in Python (lr 0.5), and three long ones:
    # scancel'd (lr 0.1), sent SLURM's warning signal (lr 0.2), left to pass the one-minute limit (lr 0.3).
    # signal_delay_s=0: no warning before the limit, so lr 0.3 meets the limit itself.
    proc = launch("-m", "hydra/launcher=slurm", *fits_the_cluster(slurm_cluster, 1), "hydra.launcher.signal_delay_s=0",
                  "train.lr=0.1,0.2,0.3,0.5", "train.iterations=30,100000", *LONG[:2], "progress=10000",
                  env_extra=inject_fault(0.5) | {"SLURM_CONF": slurm_cluster.env["SLURM_CONF"]})
    # progress=10000: a line every 10 iterations in the job's log, which tells that it is training
    cancelled = wait_for(lambda: training(store, "0.1"), timeout=180, what="the long lr 0.1 job training")
    warned = wait_for(lambda: training(store, "0.2"), timeout=180, what="the long lr 0.2 job training")
    slurm_cluster.run("scancel", cancelled.data.tags["chainrule.slurm_job"])
    # As SLURM signals before a time limit. scancel waits for the signal to be handled, and may then
    # say "already completing or completed": the job ended its run at once (checked below).
    slurm_cluster.run("scancel", "--signal=USR2", warned.data.tags["chainrule.slurm_job"], check=False)
    output, _ = proc.communicate(timeout=240)  # the lr 0.3 job ends at its limit, 1-1.5 minutes after it started
    assert proc.returncode != 0, output

    parent, children = sweep_runs(store)
    assert len(children) == 8
    assert [child(children, lr, "30").info.status for lr in ("0.1", "0.2", "0.3")] == ["FINISHED"] * 3
    for iterations in ("30", "100000"):  # failed in Python, with the error, while the others went on
        failed = child(children, "0.5", iterations)
        assert failed.info.status == "FAILED" and failed.data.tags["chainrule.error"] == "RuntimeError: injected fault"
    stopped = {lr: child(children, lr, "100000") for lr in ("0.1", "0.2", "0.3")}
    for run in stopped.values():  # KILLED, with the loss history up to where it stopped
        assert run.info.status == "KILLED", output
        done = int(run.data.tags["chainrule.interrupted_at"])
        assert done > 0 and len(store.client.get_metric_history(run.info.run_id, "train/loss")) == done
    assert not running_runs(store)

    # The parent says which five jobs did not finish, and why.
    assert parent.info.status == "FAILED" and parent.data.tags["chainrule.failed_jobs"] == "5"
    lines = [v for k, v in parent.data.tags.items() if k.startswith("chainrule.failed_job.")]

    def line_of(lr: str, iterations: str) -> str:
        (found,) = [line for line in lines if f"train.lr={lr} " in line and f"train.iterations={iterations}" in line]
        return found

    assert "injected fault" in line_of("0.5", "30") and "injected fault" in line_of("0.5", "100000")
    job = stopped["0.1"].data.tags["chainrule.slurm_job"]
    assert f"SLURM job {job} stopped by SIGTERM: it was cancelled (scancel)" in line_of("0.1", "100000")
    assert "stopped by SIGUSR2: SLURM's warning that its time limit" in line_of("0.2", "100000")
    assert "stopped by SIGTERM: it passed its time limit" in line_of("0.3", "100000")
    assert "failed_jobs.txt" in artifact_paths(store.client, parent.info.run_id)
