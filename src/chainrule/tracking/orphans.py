"""Runs left RUNNING by a process that no longer exists (SIGKILL, a crash), ended KILLED.

MLflow has no heartbeat: without this such runs would show RUNNING forever. A run records its
process's identity (:func:`chainrule.runtime.process.identity`), so a later start on the same
host can tell a run whose process died from one still going.
"""

from __future__ import annotations

import logging

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from chainrule.runtime import process

log = logging.getLogger("chainrule")


def running_runs(client: MlflowClient, experiment_id: str | None = None, parent_id: str | None = None) -> list:
    """The RUNNING runs of ``experiment_id`` (None: of every active experiment of the store); with
    ``parent_id``, only that sweep's children."""
    running = "attributes.status = 'RUNNING'"
    if parent_id is not None:
        running += f" and tags.mlflow.parentRunId = '{parent_id}'"
    ids = [experiment_id] if experiment_id is not None else [e.experiment_id for e in client.search_experiments()]
    runs, token = [], None
    while ids:
        page = client.search_runs(ids, filter_string=running, page_token=token)
        runs += page
        token = page.token
        if not token:
            break
    return runs


def reap_orphans(client: MlflowClient, experiment_id: str | None = None, parent_id: str | None = None) -> list[str]:
    """Mark KILLED the RUNNING runs whose process (on this host) has ended; return their ids.

    SIGKILL or a machine crash gives a run no chance to close itself, and MLflow has no
    heartbeat: without this such runs would show RUNNING forever. Every experiment of the store
    is looked at, unless ``experiment_id`` names one; with ``parent_id``, only that sweep's children.
    """
    reaped = []
    for run in running_runs(client, experiment_id, parent_id):
        if process.is_gone(run.data.tags):
            host, pid = run.data.tags["chainrule.host"], run.data.tags["chainrule.pid"]
            try:
                client.set_tag(run.info.run_id, "chainrule.reaped", f"process {pid} on {host} had ended")
                client.set_terminated(run.info.run_id, "KILLED")
            except MlflowException as error:
                if error.get_http_status_code() != 403:
                    raise
                continue  # a server with users: this one may only read that run; someone who may write ends it
            reaped.append(run.info.run_id)
            log.warning("run %s (%s) was RUNNING but its process %s on %s is gone: marked KILLED",
                        run.info.run_name, run.info.run_id, pid, host)
    return reaped
