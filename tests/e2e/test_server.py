"""make server: the pipeline logs to MLflow's tracking server (artifacts served) exactly what it
logs to the embedded store, whether the server keeps its runs in SQLite or in a real PostgreSQL
server; a PostgreSQL backend that cannot be reached stops make server with one line saying why."""

import subprocess
import sys

import mlflow
import numpy as np
import pandas as pd
import pytest

from tests.conftest import POSTGRES_PASSWORD, ROOT, Store
from tests.deploy.conftest import run_pipeline

from .servers import free_port, group_command_lines, tracking_server

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
SETTINGS = ["model.hidden_width=3", "train.lr=0.5", "train.iterations=60"]
PASSWORD = POSTGRES_PASSWORD  # the session's PostgreSQL cluster (fixture postgres, tests/conftest.py)
SERVER = ROOT / "pipelines" / "server.py"


class ServerStore(Store):
    """A Store whose runs go through a tracking server at ``uri``."""

    def __init__(self, folder, uri, proc=None, secret=None):
        super().__init__(folder)
        self.uri = uri
        self.proc = proc  # the server's process, leader of its process group
        self.secret = secret  # the password of its backend store, if it has one

    def exists(self) -> bool:
        return True  # the server created its store when it started


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """make server on a free port over a fresh store of each backend; artifacts in a temp folder."""
    folder = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "postgresql":
        backend, secret = request.getfixturevalue("postgres").create_database("mlflow"), PASSWORD
    else:
        backend, secret = f"sqlite:///{folder / 'mlflow.db'}", None
    with tracking_server(ROOT, folder, backend) as (url, proc):
        yield ServerStore(folder, url, proc, secret)


def snapshot(store, run):
    client = store.client
    history = {k: [(m.step, m.value) for m in sorted(client.get_metric_history(run.info.run_id, k), key=lambda m: m.step)]
               for k in ("train/loss", "val/loss")}
    metrics = {k: v for k, v in run.data.metrics.items() if not k.startswith("time/")}
    artifacts = sorted(a.path for a in client.list_artifacts(run.info.run_id)) + sorted(
        a.path for a in client.list_artifacts(run.info.run_id, "figures"))
    return run.info.status, run.info.run_name, run.data.params, metrics, history, artifacts


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The run of SETTINGS in the embedded store (made once for both backends: the test only reads it)."""
    store = Store(tmp_path_factory.mktemp("embedded"))
    store.train(*SETTINGS)
    return store


def test_a_run_through_the_server_reads_back_like_one_in_the_embedded_store(server, embedded):
    server.train(*SETTINGS)
    (local_run,) = embedded.runs()
    (served_run,) = server.runs()
    assert snapshot(server, served_run) == snapshot(embedded, local_run)
    assert served_run.info.artifact_uri.startswith("mlflow-artifacts:")  # uploaded through the server

    mlflow.set_tracking_uri(server.uri)
    served = mlflow.pyfunc.load_model(f"runs:/{served_run.info.run_id}/model")
    mlflow.set_tracking_uri(embedded.uri)
    local = mlflow.pyfunc.load_model(f"runs:/{local_run.info.run_id}/model")
    X = np.random.default_rng(0).standard_normal((20, 2))
    frame = pd.DataFrame(X, columns=["x1", "x2"])
    np.testing.assert_array_equal(served.predict(frame)["probability"], local.predict(frame)["probability"])


def test_a_sweep_through_the_server_gets_its_parent_and_children_and_registers_its_champion(server):
    server.train("-m", "train.lr=0.1,1.0", "train.iterations=30")
    runs = server.runs()
    parents = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(children) == 2 and all(c.info.status == "FINISHED" for c in children)
    paths = {a.path for a in server.client.list_artifacts(parents[0].info.run_id, "figures")}
    assert "figures/loss_comparison.png" in paths

    best = min(children, key=lambda r: r.data.metrics["val/log_loss"])  # the sweep's objective
    champion = server.client.get_model_version_by_alias("chainrule-moons", "champion")
    assert (str(champion.version), champion.run_id) == ("1", best.info.run_id)
    assert parents[0].data.tags["chainrule.registered_version"] == "1"
    mlflow.set_tracking_uri(server.uri)  # the champion's files come through the server's artifact proxy
    frame = pd.DataFrame(np.random.default_rng(1).standard_normal((10, 2)), columns=["x1", "x2"])
    np.testing.assert_array_equal(mlflow.pyfunc.load_model("models:/chainrule-moons@champion").predict(frame),
                                  mlflow.pyfunc.load_model(f"runs:/{best.info.run_id}/model").predict(frame))

    (other,) = [c for c in children if c is not best]
    promoted = run_pipeline("promote", server.uri, f"run={other.info.run_id}")  # make promote, by hand
    assert promoted.returncode == 0, promoted.stderr
    champion = server.client.get_model_version_by_alias("chainrule-moons", "champion")
    assert (str(champion.version), champion.run_id) == ("2", other.info.run_id)


def test_no_process_of_the_server_shows_the_database_password(server):
    if server.secret is None:
        pytest.skip("this backend has no password")
    command_lines = group_command_lines(server.proc.pid)
    assert any("mlflow" in line for line in command_lines)  # we are looking at the server
    assert not [line for line in command_lines if server.secret in line]


def test_the_server_runs_one_process_over_sqlite_and_four_over_postgresql(server):
    # SQLite takes one writer at a time: more server processes would only wait on each other's locks.
    expected = "--workers 4" if server.secret else "--workers 1"
    assert any("mlflow server" in line and expected in line for line in group_command_lines(server.proc.pid))


def start_server_over(backend: str) -> subprocess.CompletedProcess:
    """Run make server over ``backend``; it must stop by itself (a guard timeout fails the test)."""
    return subprocess.run([sys.executable, str(SERVER), f"port={free_port()}", f"backend_store_uri={backend}"],
                          capture_output=True, text=True, timeout=120)


def assert_stopped_with_one_line(result, masked_uri: str, reason: str, secret: str) -> None:
    message = result.stderr.strip()
    assert result.returncode == 2
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"cannot reach the tracking database {masked_uri}: ")
    assert reason in message and "createdb" in message  # the driver's reason, then what to do
    assert secret not in result.stdout + result.stderr


def test_a_postgresql_server_that_is_not_running_stops_make_server_with_one_line():
    port = free_port()  # nothing listens there
    result = start_server_over(f"postgresql://chainrule:{PASSWORD}@127.0.0.1:{port}/mlflow")
    assert_stopped_with_one_line(result, f"postgresql://chainrule:***@127.0.0.1:{port}/mlflow",
                                 "Connection refused", PASSWORD)


@pytest.mark.parametrize(("password", "database", "reason"), [
    ("wrong-pw", "mlflow", 'password authentication failed for user "chainrule"'),
    (PASSWORD, "no_such_db", 'database "no_such_db" does not exist'),
])
def test_a_postgresql_server_that_refuses_us_stops_make_server_with_its_reason(postgres, password, database, reason):
    result = start_server_over(postgres.uri(database, password))
    masked = f"postgresql://chainrule:***@127.0.0.1:{postgres.port}/{database}"
    assert_stopped_with_one_line(result, masked, reason, password)
