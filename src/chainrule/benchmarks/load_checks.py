"""What a store must hold after the clients of :mod:`.load_clients` ran: each run whole.

Every check returns a list of problems, one readable line each, empty when all is well: the e2e
tests assert it is empty, ``make bench`` refuses to report figures of a load that lost data.
"""

from __future__ import annotations

import re
from collections import Counter

from mlflow import MlflowClient

from chainrule.benchmarks.load_clients import STEPS

HISTORIES = ("train/loss", "val/loss")
"""The step metrics with one point per iteration, steps 0 … STEPS − 1."""

FIGURES = {f"figures/{name}.png" for name in
           ("loss_curve", "decision_boundary", "roc_curve", "confusion_matrix")}
"""What a client's run draws (``figures=sweep`` on moons' two inputs)."""

FILES = {"config.yaml", "overrides.yaml", "label_mapping.json", "confusion_matrix.json"}


def history_problems(client: MlflowClient, run, steps: int = STEPS) -> list[str]:
    """Each of :data:`HISTORIES` read back with exactly the steps 0 … ``steps`` − 1, once each;
    every other metric of the run without a step twice."""
    problems = []
    name = run.info.run_name
    for key in sorted(run.data.metrics):
        logged = Counter(m.step for m in client.get_metric_history(run.info.run_id, key))
        if twice := sorted(step for step, n in logged.items() if n > 1):
            problems.append(f"{name}: {key} has steps logged more than once: {twice[:10]}")
        if key in HISTORIES and (missing := sorted(set(range(steps)) - set(logged))):
            problems.append(f"{name}: {key} lacks {len(missing)} of its {steps} steps (first: {missing[:10]})")
        if key in HISTORIES and (extra := sorted(set(logged) - set(range(steps)))):
            problems.append(f"{name}: {key} has steps beyond 0…{steps - 1}: {extra[:10]}")
    problems += [f"{name}: no metric {key}" for key in HISTORIES if key not in run.data.metrics]
    return problems


def artifact_problems(client: MlflowClient, run) -> list[str]:
    """The run's files, its :data:`FIGURES` and its logged model (with its files) all there."""
    name, run_id = run.info.run_name, run.info.run_id
    found = {a.path for a in client.list_artifacts(run_id)} | {a.path for a in client.list_artifacts(run_id, "figures")}
    problems = [f"{name}: artifact {path} missing" for path in sorted((FILES | FIGURES) - found)]
    if error := run.data.tags.get("chainrule.figures_error"):
        problems.append(f"{name}: figures failed: {error}")
    models = run.outputs.model_outputs if run.outputs else []
    if len(models) != 1:
        return problems + [f"{name}: {len(models)} logged models, expected 1"]
    files = {a.path for a in client.list_logged_model_artifacts(models[0].model_id)}
    problems += [f"{name}: model file {path} missing" for path in ("MLmodel", "artifacts", "code") if path not in files]
    return problems


def run_problems(client: MlflowClient, run, steps: int = STEPS) -> list[str]:
    """A client's run as it must be: FINISHED, histories complete, artifacts and model present."""
    status = [] if run.info.status == "FINISHED" else [f"{run.info.run_name}: status {run.info.status}"]
    return status + history_problems(client, run, steps) + artifact_problems(client, run)


def experiment_runs(client: MlflowClient, experiment: str) -> list:
    """Every run of ``experiment`` (none if it does not exist yet)."""
    found = client.get_experiment_by_name(experiment)
    return client.search_runs([found.experiment_id], max_results=1000) if found else []


def client_problems(clients) -> list[str]:
    """Clients that exited non-zero, with the end of their output (the traceback, if any)."""
    return [f"client {c.pid} exited {c.proc.returncode}:\n{c.output[-3000:]}" for c in clients if c.proc.returncode != 0]


# A response with a 5xx status in the access log ('"POST /api/… HTTP/1.1" 500'), an error or
# traceback line of the server or its workers (gunicorn's and uvicorn's logs).
_SUSPICIOUS = re.compile(r'" 5\d\d\b|Traceback|\bERROR\b|\[ERROR\]|Exception|CRITICAL|WORKER TIMEOUT')


def server_log_problems(text: str) -> list[str]:
    """The lines of a server's log that tell of a failure under load."""
    return [line for line in text.splitlines() if _SUSPICIOUS.search(line)]
