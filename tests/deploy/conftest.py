"""Helpers of the registry, serving and batch-prediction tests: the deploy entry points run as a
user runs them (a subprocess against a store), and the sweeps they start from."""

import os
import subprocess
import sys

from tests.conftest import ROOT

PIPELINES = ROOT / "pipelines"


def run_pipeline(name: str, uri: str, *overrides: str, env_extra=None, timeout: int = 300) -> subprocess.CompletedProcess:
    """``pipelines/<name>.py tracking.uri=<uri> overrides`` (as ``make <name> ARGS=…`` runs it).

    The store is named on the command line, not by ``$MLFLOW_TRACKING_URI``: MLflow then knows it
    only from what the entry point tells it (a user's default store, ``mlruns/``, is the same case)."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"} | (env_extra or {})
    return subprocess.run([sys.executable, str(PIPELINES / f"{name}.py"), f"tracking.uri={uri}", *overrides], env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_refused(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2 with one line on stderr holding every fragment, and no traceback; the line."""
    message = result.stderr.strip()
    assert result.returncode == 2, result.stdout + result.stderr
    assert "\n" not in message and "Traceback" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def sweep(store, *overrides: str, check: bool = True, env_extra=None):
    """Run a sweep in ``store``; its parent run and children, newest sweep's only."""
    before = {r.info.run_id for r in store.runs()}
    store.train("-m", *overrides, check=check, env_extra=env_extra)
    new = [r for r in store.runs() if r.info.run_id not in before]
    (parent,) = [r for r in new if r.data.tags.get("chainrule.role") == "sweep"]
    return parent, [r for r in new if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
