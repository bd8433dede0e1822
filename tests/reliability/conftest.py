"""Helpers for fault tests: real processes, real signals, a real store in tmp_path."""

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, TRAIN


@pytest.fixture
def launch(store):
    """Start pipelines/train.py against ``store`` without waiting; whatever is still running
    when the test ends (say, after a failed assertion) is killed."""
    started = []

    def _launch(*overrides, env_extra=None, **popen):
        env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
        env["MLFLOW_TRACKING_URI"] = store.uri
        env.update(env_extra or {})
        command = [
            sys.executable, str(TRAIN), *overrides,
            f"hydra.run.dir={store.folder / 'outputs'}", f"hydra.sweep.dir={store.folder / 'multirun'}",
        ]
        proc = subprocess.Popen(command, cwd=store.folder, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, **popen)
        started.append(proc)
        return proc

    yield _launch
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def wait_for(predicate, timeout=60.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def running_runs(store):
    return [r for r in store.runs() if r.info.status == "RUNNING"]


def assert_refused_in_one_line(result, *messages, store=None):
    """A command that stopped on bad input as it should: exit 2, each message said, no traceback,
    and (with ``store``) no run created."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    for message in messages:
        assert message in output, output
    assert "Traceback" not in output, output
    if store is not None:
        assert store.runs() == []


def run_entry_point(script: str, *args: str, cwd, env_extra=None, timeout=120) -> subprocess.CompletedProcess:
    """``pipelines/<script>`` with ``args``, without the caller's MLFLOW_TRACKING_URI."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"} | (env_extra or {})
    return subprocess.run([sys.executable, str(ROOT / "pipelines" / script), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
