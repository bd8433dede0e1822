"""Process settings: the garbage collector during and after the imports of a job."""

import json
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import gc, json
import chainrule.runtime.process
passes = []
gc.callbacks.append(lambda phase, info: phase == "start" and passes.append(info["generation"]))
import chainrule.sweeps.worker_imports
gc.callbacks.clear()
print(json.dumps({"passes": passes, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                  "thresholds": gc.get_threshold()}))
"""


def test_importing_what_a_job_needs_runs_no_collection_and_leaves_the_collector_on_over_a_frozen_heap():
    # What joblib's workers are forked from: MLflow, scikit-learn and matplotlib imported with the
    # collector paused, their objects then frozen (the forked workers share those pages).
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    state = json.loads(result.stdout.splitlines()[-1])
    assert state["passes"] == []
    assert state["enabled"] and state["thresholds"] == [10_000, 10, 10]
    assert state["frozen"] > 100_000
