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
from tests.e2e.servers import throwaway_postgres, tracking_server

pytestmark = pytest.mark.slow

RIVALS, ROUNDS, GAP = 4, 4, 1.0  # processes, rounds each, seconds between rounds
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
    """RIVALS processes logging the same datasets at the same instants; what each printed."""
    use_store(uri, "race")  # the store and experiment exist before the rivals start, as in a sweep
    folder.mkdir()
    command = [sys.executable, str(Path(__file__).with_name("dataset_race.py")), uri, str(folder), str(RIVALS),
               str(ROUNDS), str(GAP)]
    rivals = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(RIVALS)]
    outputs = [p.communicate(timeout=300) for p in rivals]
    assert [p.returncode for p in rivals] == [0] * RIVALS, "\n".join(err for _, err in outputs)
    return [json.loads(out.splitlines()[-1]) for out, _ in outputs]


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
def test_rivals_logging_the_same_dataset_through_a_tracking_server_all_succeed(tmp_path, backend):
    # The check and the insert happen in the server: it is the one slowed down.
    slow = slow_dataset_check(tmp_path / "slow")
    if backend == "postgresql":
        with throwaway_postgres("race-pw") as cluster:
            with tracking_server(ROOT, tmp_path, cluster.create_database("mlflow"), env=slow) as (url, _):
                assert_every_run_has_its_inputs(url, race(url, dict(os.environ), tmp_path / 'rivals'))
    else:
        with tracking_server(ROOT, tmp_path, env=slow) as (url, _):
            assert_every_run_has_its_inputs(url, race(url, dict(os.environ), tmp_path / 'rivals'))
