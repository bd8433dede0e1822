"""No code path leaves a run RUNNING: success, an exception, Ctrl-C."""

import mlflow
import pytest

from chainrule.tracking.runs import recorded_run
from chainrule.tracking.store import use_store


@pytest.fixture
def experiment(store):
    return use_store(store.uri, "test")


def test_a_run_that_completes_ends_finished(experiment, store):
    with recorded_run(experiment, "ok", {}):
        mlflow.log_metric("x", 1.0)
    (run,) = store.runs()
    assert run.info.status == "FINISHED"


def test_an_exception_ends_the_run_failed_with_the_error_recorded(experiment, store):
    with pytest.raises(RuntimeError, match="boom"):
        with recorded_run(experiment, "bad", {}):
            raise RuntimeError("boom")
    (run,) = store.runs()
    assert run.info.status == "FAILED"
    assert run.data.tags["chainrule.error"] == "RuntimeError: boom"
    trace = store.client.download_artifacts(run.info.run_id, "error.txt", str(store.folder))
    assert "RuntimeError: boom" in open(trace).read()
    assert mlflow.active_run() is None


def test_ctrl_c_ends_the_run_killed(experiment, store):
    with pytest.raises(KeyboardInterrupt):
        with recorded_run(experiment, "interrupted", {}):
            raise KeyboardInterrupt
    (run,) = store.runs()
    assert run.info.status == "KILLED"
    assert mlflow.active_run() is None
