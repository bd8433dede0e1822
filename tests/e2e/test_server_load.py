"""The team server under load: eight pipeline processes at once through one ``mlflow server``
(over SQLite and over PostgreSQL) lose no metric point and all finish, while a ninth, SIGKILLed
mid-run beside them, leaves them whole; its run is reaped at the next start, as runs of dead
processes are on any store (:mod:`chainrule.tracking.orphans`).

One batch does both (the eight and the one killed among them): each batch of nine processes
on two cores costs most of a minute.
"""

import socket

import pytest
from mlflow import MlflowClient

from chainrule.benchmarks.load_checks import client_problems, experiment_runs, run_problems, server_log_problems
from chainrule.benchmarks.load_clients import RATES, STEPS, run_clients, start_clients, stop_clients, wait_clients
from tests.conftest import ROOT, sitecustomize_env
from tests.reliability.conftest import wait_for

from .servers import tracking_server

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
CLIENTS = 8  # that finish
VICTIM = CLIENTS  # the ninth client, SIGKILLed mid-run

# The victim, held right after its first batch of history points is stored (train/loss, the whole
# of it), so that the kill lands at one known point of a run, whatever the load on the machine:
# RUNNING, its model and part of its metrics logged, its figures being uploaded by the helper.
HOLD_AFTER_FIRST_HISTORY_BATCH = """
import time
from mlflow import MlflowClient
_log_batch = MlflowClient.log_batch
def log_batch(self, run_id, *args, **kwargs):
    result = _log_batch(self, run_id, *args, **kwargs)
    if any(m.key == "train/loss" for m in kwargs.get("metrics", args[0] if args else ())):
        time.sleep(600)  # until the test SIGKILLs this process
    return result
MlflowClient.log_batch = log_batch
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """make server over a fresh store of each backend: its URI and its folder (``server.log``)."""
    folder = tmp_path_factory.mktemp(f"load-{request.param}")
    backend = request.getfixturevalue("postgres").create_database("load") if request.param == "postgresql" else None
    with tracking_server(ROOT, folder, backend) as (url, _process):
        yield url, folder


def assert_server_log_clean(folder):
    assert server_log_problems((folder / "server.log").read_text()) == []  # no 5xx, no traceback


def held_victim(client, experiment, victim):
    """The victim's run once every client has its run (each one has done its start-of-run reaping,
    so none of them can reap the victim) and the victim holds, some of its history stored."""
    assert victim.proc.poll() is None, f"the victim ended before it was killed:\n{victim.log.read_text()}"
    runs = experiment_runs(client, experiment)
    mine = [r for r in runs if r.data.tags.get("chainrule.pid") == str(victim.pid)]
    if len(runs) == CLIENTS + 1 and mine and client.get_metric_history(mine[0].info.run_id, "train/loss"):
        return mine[0]
    return None


def test_eight_clients_at_once_log_every_point_and_finish_beside_a_ninth_killed_mid_run_and_reaped_next(server, tmp_path):
    url, folder = server
    experiment = "load"
    client = MlflowClient(url)
    hold = {VICTIM: sitecustomize_env(tmp_path / "hold", HOLD_AFTER_FIRST_HISTORY_BATCH)}
    clients = start_clients(ROOT, folder / "batch", url, CLIENTS + 1, experiment, env_extra=hold)
    victim, others = clients[VICTIM], clients[:VICTIM]
    try:
        wait_for(lambda: held_victim(client, experiment, victim), timeout=240, interval=0.5, what="the victim mid-run")
        victim.kill()
        wait_clients(others)
    finally:
        stop_clients(clients)

    # the eight: every one exited 0, one run each, FINISHED, every point of every history read back
    assert client_problems(others) == []
    runs = {r.data.tags["chainrule.pid"]: r for r in experiment_runs(client, experiment)}
    assert len(runs) == CLIENTS + 1
    dead = runs.pop(str(victim.pid))
    assert set(runs) == {str(c.pid) for c in others}
    assert sorted(r.data.params["train.lr"] for r in runs.values()) == sorted(str(rate) for rate in RATES[:CLIENTS])
    assert [problem for run in runs.values() for problem in run_problems(client, run)] == []
    assert_server_log_clean(folder)
    # the ninth: nothing ends a SIGKILLed run by itself
    assert dead.info.status == "RUNNING" and dead.info.end_time is None

    (next_start,), _wall = run_clients(ROOT, folder / "next-start", url, 1, experiment)
    assert client_problems([next_start]) == []
    reaped = client.get_run(dead.info.run_id)
    assert reaped.info.status == "KILLED" and reaped.info.end_time is not None
    assert reaped.data.tags["chainrule.reaped"] == f"process {victim.pid} on {socket.gethostname()} had ended"
    # What it stored before it died is kept: its training loss, whole (the one batch of its histories it logged).
    assert sorted(m.step for m in client.get_metric_history(reaped.info.run_id, "train/loss")) == list(range(STEPS))
    (new,) = [r for r in experiment_runs(client, experiment) if r.data.tags["chainrule.pid"] == str(next_start.pid)]
    assert run_problems(client, new) == []
    assert_server_log_clean(folder)
