"""make serve: ``mlflow models serve`` on the champion (or any model URI) on a free loopback port,
asked by a real HTTP client: each row's probabilities and its label under the original label
names, equal to the core's; bad payloads answered 4xx naming the problem, and the next request
served; Ctrl-C leaves no process behind."""

import json
import os
import signal
import subprocess
import sys

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.datasets import make_blobs

from chainrule.deploy import registry
from tests.conftest import ROOT, Store, group_pids
from tests.e2e.servers import free_port, stop_group, wait_healthy

from .conftest import assert_refused, run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
NAME = "chainrule-moons"
LABELS = ["cat", "dog", "emu"]


def start_serving(store, folder, *overrides):
    """pipelines/serve.py on a free port in its own session (as a terminal runs make serve); its URL and process."""
    port = free_port()
    log = folder / f"serve-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "pipelines" / "serve.py"), f"port={port}", *overrides],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env=os.environ | {"MLFLOW_TRACKING_URI": store.uri})
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc, log=log)
    return url, proc, log


@pytest.fixture(scope="module")
def moons(tmp_path_factory):
    """A moons run promoted to champion, served by ``make serve`` with no arguments."""
    store = Store(tmp_path_factory.mktemp("serve"))
    store.train("model.hidden_width=3", "train.lr=0.5", "train.iterations=30", "figures=sweep")
    (run,) = store.runs()
    registry.promote(store.client, run, NAME)
    url, proc, log = start_serving(store, store.folder)
    try:
        yield store, run, url, log
    finally:
        stop_group(proc)


def core_outputs(store, run_id, frame):
    """What the core computes for ``frame``: the probabilities (n,) or (n, K), and the original labels."""
    store.client  # noqa: B018 - points mlflow at the store
    predictor = mlflow.pyfunc.load_model(f"runs:/{run_id}/model").unwrap_python_model().predictor
    proba = predictor.model.predict_proba(predictor.model_inputs(predictor.inputs(frame)))
    codes = predictor.model.predict(predictor.model_inputs(predictor.inputs(frame)))
    return proba, predictor.labels[codes]


def invoke(url, body, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(f"{url}/invocations", data=data, headers={"Content-Type": content_type}, timeout=30)


ROWS = pd.DataFrame(np.random.default_rng(1).uniform(-1.5, 2.5, (25, 2)), columns=["x1", "x2"])


def test_the_served_model_says_what_it_takes_so_mlflow_checks_each_request(moons):
    store, run, _, _ = moons
    model_uri = f"runs:/{run.info.run_id}/model"
    info = mlflow.models.get_model_info(model_uri)
    assert [(c.name, c.type.name) for c in info.signature.inputs.inputs] == [("x1", "double"), ("x2", "double")]
    assert [c.name for c in info.signature.outputs.inputs] == ["probability", "label"]
    example = mlflow.models.Model.load(model_uri).load_input_example(mlflow.artifacts.download_artifacts(model_uri))
    assert list(example.columns) == ["x1", "x2"] and len(example) == 5  # raw test rows: what a user sends


def test_make_serve_prints_where_it_serves_and_answers_ping(moons):
    _, _, url, log = moons
    assert requests.get(f"{url}/ping", timeout=10).status_code == 200
    printed = log.read_text()
    assert f"serving models:/{NAME}@champion at {url}" in printed
    assert f"curl -s {url}/invocations" in printed and '"columns": ["x1", "x2"]' in printed


@pytest.mark.parametrize("form", ["dataframe_split", "dataframe_records"])
def test_each_row_gets_the_cores_probability_and_its_original_label(moons, form):
    store, run, url, _ = moons
    frame = ROWS[["x2", "x1"]]  # columns by name, in any order
    body = {form: frame.to_dict(orient="split" if form == "dataframe_split" else "records")}
    if form == "dataframe_split":
        body[form].pop("index")
    response = invoke(url, body)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    proba, labels = core_outputs(store, run.info.run_id, ROWS)
    np.testing.assert_allclose([p["probability"] for p in predictions], proba, rtol=1e-15, atol=0)
    assert [p["label"] for p in predictions] == labels.tolist() and set(labels.tolist()) == {0, 1}  # moons' labels


@pytest.mark.parametrize("body, content_type, status, names", [
    ({"dataframe_split": {"columns": ["x1"], "data": [[0.5]]}}, "application/json", 400, ["x2"]),
    ({"dataframe_records": [{"x1": 0.5, "x2": "high"}]}, "application/json", 400, ["x2"]),
    ("", "application/json", 400, []),
    ('{"dataframe_split": {"columns": ["x1", "x2"], "data": [[0.5, ', "application/json", 400, ["JSON"]),
    ({"dataframe_records": [{"x1": 0.5, "x2": None}]}, "application/json", 400, ["x2"]),
    ("x1,x2\n0.5,0.5\n", "text/plain", 415, ["text/plain"]),
], ids=["missing-column", "string-in-a-number-column", "empty-body", "malformed-json", "blank-value",
        "unsupported-content-type"])
def test_a_bad_payload_is_refused_naming_the_problem_and_the_next_request_is_served(moons, body, content_type,
                                                                                   status, names):
    _, _, url, _ = moons
    response = invoke(url, body, content_type)
    assert response.status_code == status, response.text
    message = response.json()["message"] if status != 415 else response.text
    assert message and "Traceback" not in message
    for name in names:
        assert name in message, message
    good = invoke(url, {"dataframe_split": {"columns": ["x1", "x2"], "data": [[0.5, 0.5]]}})
    assert good.status_code == 200 and len(good.json()["predictions"]) == 1


def test_a_k_class_model_by_its_run_uri_answers_one_probability_per_class_and_string_labels(tmp_path):
    X, y = make_blobs(300, centers=3, n_features=3, random_state=0)
    table = pd.DataFrame(X, columns=["a", "b", "c"]).assign(animal=np.array(LABELS)[y])
    table.to_csv(tmp_path / "animals.csv", index=False)
    store = Store(tmp_path)
    store.train("dataset=csv", f"dataset.path={tmp_path / 'animals.csv'}", "dataset.target=animal",
                "model.hidden_width=4", "train.iterations=50", "figures=sweep")
    (run,) = store.runs()
    url, proc, _ = start_serving(store, tmp_path, f"model=runs:/{run.info.run_id}/model")
    try:
        frame = table.drop(columns="animal").iloc[::10]
        response = invoke(url, {"dataframe_records": frame[["c", "a", "b"]].to_dict(orient="records")})
        assert response.status_code == 200, response.text
        predictions = response.json()["predictions"]
        proba, labels = core_outputs(store, run.info.run_id, frame)
        assert list(predictions[0]) == [f"probability_{name}" for name in LABELS] + ["label"]
        np.testing.assert_allclose([[p[f"probability_{n}"] for n in LABELS] for p in predictions], proba, rtol=1e-15)
        assert [p["label"] for p in predictions] == labels.tolist() and set(labels) <= set(LABELS)

        # Ctrl-C in the terminal: the whole group gets SIGINT, and nothing of the server stays.
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        assert group_pids(proc.pid) == []
    finally:
        stop_group(proc)


def test_with_no_champion_yet_make_serve_says_what_to_run_and_starts_nothing(tmp_path):
    store = Store(tmp_path)
    store.train("train.iterations=5", "figures=sweep")  # a store, but nothing registered
    result = run_pipeline("serve", store.uri, f"port={free_port()}", timeout=60)
    assert_refused(result, "serve: no champion yet", f"{NAME!r}", "make promote")
    result = run_pipeline("serve", store.uri, f"port={free_port()}", "model=runs:/nonexistent/model", timeout=60)
    assert_refused(result, "serve: model: cannot open 'runs:/nonexistent/model'")
