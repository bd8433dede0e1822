"""Parallel jobs logging the same dataset at the same instant never fail (MLflow's SQL store checks
for a dataset, then inserts it: two writers can both pass the check, and the second insert breaks
the table's unique key). The race is made to happen: every rival calls log_inputs at the same
instant, round after round, with the gap between MLflow's check and its insert widened — on the
embedded SQLite store, and through make server over SQLite and over PostgreSQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from chainrule.tracking.store import use_store
from tests.conftest import ROOT, sitecustomize_env
from tests.e2e.servers import tracking_server

pytestmark = pytest.mark.slow

RIVALS, ROUNDS, GAP = 4, 2, 1.0  # processes, rounds each, seconds between rounds
# Each round, 3 of the 4 rivals lose an insert (measured: every one of 12 rounds, on every backend);
# two rounds make it all but certain that the race happens, as the last assertion demands.
SPLITS = ("train", "val", "test")


def slow_dataset_check(folder: Path, seconds: float = 0.3) -> dict:
    """Environment for a process whose every ``SELECT … FROM datasets`` (MLflow's check, just before
    its insert) takes ``seconds`` longer: a SQLAlchemy event, nothing in the product."""
    return sitecustomize_env(folder, (
        "import time\n"
        "from sqlalchemy import event\n"
        "from sqlalchemy.engine import Engine\n"
        "@event.listens_for(Engine, 'after_cursor_execute')\n"
        "def _slow(conn, cursor, statement, parameters, context, executemany):\n"
        "    if statement.lstrip().upper().startswith('SELECT') and 'FROM datasets' in statement:\n"
        f"        time.sleep({seconds})\n"
    ))


def race(uri: str, env: dict, folder: Path) -> list[dict]:
    """RIVALS processes (forked by dataset_race.py) logging the same datasets at the same instants;
    what each printed."""
    use_store(uri, "race")  # the store and experiment exist before the rivals start, as in a sweep
    folder.mkdir()
    command = [sys.executable, str(Path(__file__).with_name("dataset_race.py")), uri, str(folder), str(RIVALS),
               str(ROUNDS), str(GAP)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr  # every rival succeeded
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == RIVALS, result.stdout + result.stderr
    return reports


def assert_every_run_has_its_inputs(uri: str, reports: list[dict]) -> None:
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("race")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    assert len(runs) == RIVALS * ROUNDS and all(r.info.status == "FINISHED" for r in runs)
    for run in runs:
        names = sorted(i.dataset.name for i in run.inputs.dataset_inputs)
        assert names == sorted(f"{run.info.run_name}-{split}" for split in SPLITS)
    # one dataset per round and split, shared by the rivals' runs
    digests = {(i.dataset.name, i.dataset.digest) for r in runs for i in r.inputs.dataset_inputs}
    assert len(digests) == ROUNDS * len(SPLITS)
    assert sum(r["lost"] for r in reports) > 0, "the race never happened: the test proves nothing"


def test_rivals_logging_the_same_dataset_into_the_embedded_store_all_succeed(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert_every_run_has_its_inputs(uri, race(uri, os.environ | slow_dataset_check(tmp_path / 'slow'), tmp_path / 'rivals'))


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_rivals_logging_the_same_dataset_through_a_tracking_server_all_succeed(request, tmp_path, backend):
    # The check and the insert happen in the server: it is the one slowed down. Over PostgreSQL, a
    # database of its own in the session's cluster.
    slow = slow_dataset_check(tmp_path / "slow")
    backend_store = request.getfixturevalue("postgres").create_database("race") if backend == "postgresql" else None
    with tracking_server(ROOT, tmp_path, backend_store, env=slow) as (url, _):
        assert_every_run_has_its_inputs(url, race(url, dict(os.environ), tmp_path / 'rivals'))
