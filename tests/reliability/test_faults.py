"""Lines 8–14 of the reliability issue: faults lose nothing and leave nothing RUNNING.
Real processes, real signals, a real SQLite store."""

import math
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import TRAIN

from .conftest import running_runs, wait_for

pytestmark = pytest.mark.slow

# A dataset and network big enough that training takes a while, to be interrupted mid-way.
LONG = ["dataset.n_samples=20000", "model.hidden_width=64", "train.iterations=100000", "progress=0"]


def all_metric_values(store, run):
    client = store.client
    return [m.value for key in run.data.metrics for m in client.get_metric_history(run.info.run_id, key)]


def test_8_divergence_is_a_recorded_result_and_the_sweep_goes_on(store):
    result = store.train("-m", "model=mlp", "model.hidden_width=16", "train.lr=0.5,10000", "train.iterations=200")
    runs = store.runs()
    parent = next(r for r in runs if r.data.tags.get("chainrule.role") == "sweep")
    diverged = next(r for r in runs if r.data.params.get("train.lr") == "10000.0")
    healthy = next(r for r in runs if r.data.params.get("train.lr") == "0.5")

    assert diverged.info.status == "FINISHED" and healthy.info.status == "FINISHED"
    assert diverged.data.tags["chainrule.diverged"] == "true"
    stopped_at = int(diverged.data.tags["chainrule.diverged_at"])
    assert 0 < stopped_at < 200
    assert len(store.client.get_metric_history(diverged.info.run_id, "train/loss")) == stopped_at
    assert not [k for k in diverged.data.metrics if k.startswith(("test/", "val/acc", "train/acc"))]  # no scores
    for value in all_metric_values(store, diverged):
        assert math.isfinite(value) and abs(value) < 1e300  # neither NaN nor a clamped ±1.8e308
    assert "test/accuracy" in healthy.data.metrics
    assert parent.info.status == "FINISHED"
    assert "diverged" in result.stdout + result.stderr


def test_9_an_exception_in_one_job_fails_that_job_only(store, inject_fault):
    result = store.train("-m", "train.lr=0.1,0.5,1.0", "train.iterations=50", check=False,
                         env_extra=inject_fault(0.5, "boom in fit"))
    output = result.stdout + result.stderr
    runs = store.runs()
    parent = next(r for r in runs if r.data.tags.get("chainrule.role") == "sweep")
    children = {r.data.params["train.lr"]: r for r in runs if r is not parent}

    assert result.returncode != 0
    assert children["0.5"].info.status == "FAILED"
    assert children["0.5"].data.tags["chainrule.error"] == "RuntimeError: boom in fit"
    assert children["0.1"].info.status == "FINISHED" and children["1.0"].info.status == "FINISHED"
    assert parent.info.status == "FAILED"
    assert parent.data.tags["chainrule.failed_jobs"] == "1"
    assert "1 job(s) of the sweep failed" in output and "train.lr=0.5 train.iterations=50" in output


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_10_ctrl_c_and_sigterm_end_the_run_killed_with_its_history(store, launch, sig):
    proc = launch(*LONG)
    run = wait_for(lambda: running_runs(store), what="the run to start")[0]
    time.sleep(2)  # let it train a little
    proc.send_signal(sig)
    started = time.monotonic()
    output, _ = proc.communicate(timeout=60)
    assert time.monotonic() - started < 20  # promptly, history included
    assert proc.returncode == 128 + sig, output
    assert f"interrupted by {sig.name}: runs in progress ended KILLED" in output
    assert "Traceback" not in output

    (run,) = store.runs()
    assert run.info.status == "KILLED", output
    done = int(run.data.tags["chainrule.interrupted_at"])
    assert done > 0
    assert len(store.client.get_metric_history(run.info.run_id, "train/loss")) == done


def test_10_sigterm_during_a_sweep_ends_the_job_and_the_parent_killed(store, launch):
    proc = launch("-m", "train.lr=0.1,0.2,0.3", *LONG)
    wait_for(lambda: [r for r in running_runs(store) if "mlflow.parentRunId" in r.data.tags], what="a child run")
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    runs = store.runs()
    parent = next(r for r in runs if r.data.tags.get("chainrule.role") == "sweep")
    assert parent.info.status == "KILLED", output
    assert parent.data.tags["chainrule.interrupted"] == "SIGTERM"
    assert [r.info.status for r in runs if r is not parent] == ["KILLED"]  # the other jobs never started
    assert not running_runs(store)


def test_11_a_run_left_running_by_sigkill_is_marked_killed_at_the_next_start(store, launch):
    proc = launch(*LONG)
    orphan = wait_for(lambda: running_runs(store), what="the run to start")[0]
    proc.kill()
    proc.wait(timeout=30)
    assert store.runs()[0].info.status == "RUNNING"  # what SIGKILL leaves behind

    result = store.train("train.iterations=20")
    runs = {r.info.run_id: r for r in store.runs()}
    assert runs[orphan.info.run_id].info.status == "KILLED"
    assert runs[orphan.info.run_id].data.tags["chainrule.reaped"].startswith(f"process {proc.pid} on ")
    assert f"its process {proc.pid}" in result.stdout + result.stderr and "marked KILLED" in result.stdout + result.stderr


def test_11_runs_of_live_processes_are_left_alone(store, launch):
    proc = launch(*LONG)
    live = wait_for(lambda: running_runs(store), what="the run to start")[0]
    store.train("train.iterations=20")
    assert {r.info.run_id: r for r in store.runs()}[live.info.run_id].info.status == "RUNNING"
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)


def test_12_a_fresh_store_survives_several_processes_starting_at_once(store, launch):
    procs = [launch(f"seed={seed}", "train.iterations=300", "progress=0") for seed in range(6)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, "\n".join(outputs)
    runs = store.runs()
    assert len(runs) == 6 and all(r.info.status == "FINISHED" for r in runs)
    for run in runs:  # nothing lost by any writer
        for key in ("train/loss", "val/loss"):
            assert len(store.client.get_metric_history(run.info.run_id, key)) == 300
        assert "test/accuracy" in run.data.metrics
    with sqlite3.connect(store.folder / "mlflow.db") as connection:  # commits append to a write-ahead log
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_13_rerunning_a_config_never_touches_the_earlier_run_and_repeats_it_exactly(store):
    store.train("train.iterations=100")
    (first,) = store.runs()
    store.train("train.iterations=100")
    second = next(r for r in store.runs() if r.info.run_id != first.info.run_id)
    again = next(r for r in store.runs() if r.info.run_id == first.info.run_id)
    assert again.data.params == first.data.params and again.data.metrics == first.data.metrics
    assert again.info.end_time == first.info.end_time
    assert {k: v for k, v in second.data.metrics.items() if not k.startswith("time/")} == {
        k: v for k, v in first.data.metrics.items() if not k.startswith("time/")
    }


STORES_THAT_CANNOT_BE_OPENED = {
    "a file where its folder should be": ("sqlite:///{tmp}/not-a-folder/mlflow.db", "cannot store runs in '{tmp}/not-a-folder': it is a file, not a folder"),
    "a kind of store MLflow does not know": ("bogus://nowhere", "cannot open the tracking store 'bogus://nowhere': Model registry functionality is unavailable; got unsupported URI"),
    "a database that does not answer": ("postgresql://chainrule:s3cret@127.0.0.1:9/mlflow", "cannot reach the tracking database postgresql+psycopg2://chainrule:***@127.0.0.1:9/mlflow: connection to server at \"127.0.0.1\", port 9 failed"),
}


@pytest.mark.parametrize("sweep", [False, True], ids=["run", "sweep"])
@pytest.mark.parametrize("uri, message", STORES_THAT_CANNOT_BE_OPENED.values(), ids=STORES_THAT_CANNOT_BE_OPENED)
def test_14_a_store_that_cannot_be_opened_is_named_before_any_job(store, tmp_path, uri, message, sweep):
    (tmp_path / "not-a-folder").write_text("a file where the store's folder should be")
    overrides = ["-m", "train.lr=0.1,0.5"] if sweep else []
    result = store.train(*overrides, "train.iterations=20", f"tracking.uri={uri.format(tmp=tmp_path)}", check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 2 and "Traceback" not in output, output
    assert message.format(tmp=tmp_path) in output
    if uri.startswith("postgresql"):
        assert "or pass another tracking.uri=…" in output
    assert "iteration" not in output and "Launching" not in output  # no job started, none was tried
    assert "s3cret" not in output


def test_14_a_full_disk_is_named_before_training(store):
    def small_disk():  # writes past 256 KiB fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"} | {"MLFLOW_TRACKING_URI": store.uri}
    result = subprocess.run(
        [sys.executable, str(TRAIN), f"hydra.run.dir={store.folder / 'outputs'}"],
        cwd=store.folder, env=env, capture_output=True, text=True, timeout=120, preexec_fn=small_disk,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in output
    assert f"cannot store runs in '{store.folder}': File too large" in output
    assert not (store.folder / "mlflow.db").exists()
