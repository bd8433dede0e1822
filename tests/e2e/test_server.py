"""make server: the pipeline logs to MLflow's tracking server (SQLite backend, artifacts served)
exactly what it logs to the embedded store."""

import mlflow
import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, Store

from .servers import tracking_server

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
SETTINGS = ["model.hidden_width=3", "train.lr=0.5", "train.iterations=60"]


class ServerStore(Store):
    """A Store whose runs go through a tracking server at ``uri``."""

    def __init__(self, folder, uri):
        super().__init__(folder)
        self.uri = uri


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    with tracking_server(ROOT, folder) as url:
        yield ServerStore(folder, url)


def snapshot(store, run):
    client = store.client
    history = {k: [(m.step, m.value) for m in sorted(client.get_metric_history(run.info.run_id, k), key=lambda m: m.step)]
               for k in ("train/loss", "val/loss")}
    metrics = {k: v for k, v in run.data.metrics.items() if not k.startswith("time/")}
    artifacts = sorted(a.path for a in client.list_artifacts(run.info.run_id)) + sorted(
        a.path for a in client.list_artifacts(run.info.run_id, "figures"))
    return run.info.status, run.info.run_name, run.data.params, metrics, history, artifacts


def test_a_run_through_the_server_reads_back_like_one_in_the_embedded_store(server, tmp_path):
    embedded = Store(tmp_path)
    embedded.train(*SETTINGS)
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


def test_a_sweep_through_the_server_gets_its_parent_and_children(server):
    server.train("-m", "train.lr=0.1,1.0", "train.iterations=30")
    runs = server.runs()
    parents = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(children) == 2 and all(c.info.status == "FINISHED" for c in children)
    paths = {a.path for a in server.client.list_artifacts(parents[0].info.run_id, "figures")}
    assert "figures/loss_comparison.png" in paths
