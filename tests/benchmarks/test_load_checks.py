"""The checks the server-load test and bench rely on find a lost, repeated or stray point, and the
server log lines that tell of a failure — and pass what is whole."""

import pytest
from mlflow.entities import Metric

from chainrule.benchmarks.load_checks import history_problems, server_log_problems
from tests.conftest import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One store for the module's runs (creating a store costs seconds of migrations)."""
    return Store(tmp_path_factory.mktemp("checks"))


def run_with(store, histories):
    """A run of a fresh store holding ``histories`` (key → the steps logged, one point each; a step
    given twice gets another value the second time: the store keeps one copy of identical points)."""
    client = store.client
    run_id = client.create_run(client.create_experiment(f"checks-{len(client.search_experiments())}")).info.run_id
    for key, steps in histories.items():
        client.log_batch(run_id, metrics=[Metric(key, float(i), 0, step) for i, step in enumerate(steps)])
    return client, client.get_run(run_id)


def test_whole_histories_pass(store):
    client, run = run_with(store, {"train/loss": range(5), "val/loss": range(5), "grad_norm/W1": [0, 2, 4]})
    assert history_problems(client, run, steps=5) == []


def test_a_gap_a_repeated_step_a_stray_step_and_a_missing_history_are_each_found(store):
    client, run = run_with(store, {"train/loss": [0, 1, 3, 4, 5], "grad_norm/W1": [0, 2, 2]})
    problems = history_problems(client, run, steps=5)
    assert any("train/loss lacks 1 of its 5 steps (first: [2])" in p for p in problems), problems
    assert any("train/loss has steps beyond 0…4: [5]" in p for p in problems), problems
    assert any("grad_norm/W1 has steps logged more than once: [2]" in p for p in problems), problems
    assert any(p.endswith("no metric val/loss") for p in problems), problems
    assert len(problems) == 4


def test_server_log_problems_are_failures_not_the_refusals_of_a_race_a_client_handles():
    log = """\
2026/12/03 11:47:23 INFO:     127.0.0.1:33546 - "POST /api/2.0/mlflow/experiments/create HTTP/1.1" 400 Bad Request
2026/12/03 11:47:23 INFO:     127.0.0.1:33500 - "GET /api/2.0/mlflow/experiments/get-by-name?experiment_name=load HTTP/1.1" 404 Not Found
2026/12/03 11:47:24 INFO:     127.0.0.1:33500 - "POST /api/2.0/mlflow/runs/log-batch HTTP/1.1" 200 OK
2026/12/03 11:47:25 INFO:     127.0.0.1:33501 - "POST /api/2.0/mlflow/runs/log-batch HTTP/1.1" 500 Internal Server Error
Traceback (most recent call last):
sqlite3.OperationalError: database is locked
2026/12/03 11:47:26 ERROR mlflow.server: Exception on /api/2.0/mlflow/runs/update
"""
    assert server_log_problems(log) == [line for line in log.splitlines()[3:] if "locked" not in line]
