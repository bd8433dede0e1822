"""Issue 12, lines 4–14 and a first CSV's small mishaps: every bad input ends with one line naming
the problem and what to do, exit 2, no traceback, and no run created — real processes, real stores."""

import gzip
import http.server
import signal
import socket
import subprocess
import threading
from contextlib import contextmanager

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.types.schema import DataType

from chainrule.deploy.predictions import predict_file
from chainrule.runtime.servers import free_port
from chainrule.tracking.store import open_store, use_store

from tests.conftest import Store

from .conftest import assert_refused_in_one_line, running_runs, run_entry_point, wait_for
from .test_faults import LONG

pytestmark = pytest.mark.slow


@pytest.fixture
def csv_path(tmp_path):
    """A small CSV with an integer feature ``a``, a float feature ``b`` and a 0/1 target ``y``."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.integers(0, 100, 300), "b": rng.standard_normal(300)})
    frame["y"] = (frame["a"] > 50).astype(int)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


# -- 4: the objective --------------------------------------------------------------------------

@pytest.mark.parametrize("sweep", [[], ["-m", "train.lr=0.1,0.5"]], ids=["run", "sweep"])
def test_4_an_objective_no_run_records_is_refused_before_training(store, sweep):
    result = store.train(*sweep, "objective=test/nonexistent_metric", check=False)
    assert_refused_in_one_line(result, "objective must be one of the scores a run records", "val/log_loss, val/brier",
                               "got 'test/nonexistent_metric'", store=store)
    assert "iteration" not in result.stdout + result.stderr


# -- 5: a tracking server that does not answer -------------------------------------------------

class NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_error(404)

    def log_message(self, *args):
        pass


@contextmanager
def not_mlflow():
    """A web server on a free loopback port that is not MLflow's (every path: 404)."""
    server = http.server.HTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.mark.parametrize("sweep", [[], ["-m", "train.lr=0.1,0.5"]], ids=["run", "sweep"])
def test_5_a_tracking_server_that_does_not_answer_is_named_at_once(store, sweep):
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = store.train(*sweep, f"tracking.uri={uri}", check=False)  # MLflow alone: 248 s of retries
    assert_refused_in_one_line(result, f"cannot reach the tracking server {uri}: [Errno 111] Connection refused",
                               "start it (make server)")
    with not_mlflow() as other:
        result = store.train(*sweep, f"tracking.uri={other}", check=False)
    assert_refused_in_one_line(result, "it answers GET /health with 404", "not an MLflow tracking server?")
    assert not store.exists()


def test_5_make_report_names_a_tracking_server_that_does_not_answer(tmp_path):
    uri = f"http://user:s3cret@127.0.0.1:{free_port()}"
    result = run_entry_point("report.py", f"tracking.uri={uri}", cwd=tmp_path)
    assert_refused_in_one_line(result, "cannot reach the tracking server http://user:***@127.0.0.1:")
    assert "s3cret" not in result.stdout + result.stderr


# -- 6: SQLite stores that cannot be used ------------------------------------------------------

@pytest.fixture
def immutable(tmp_path):
    """``immutable(path)``: the file can no longer be written, not even by root (chattr +i)."""
    made = []

    def _immutable(path):
        subprocess.run(["chattr", "+i", str(path)], check=True)
        made.append(path)

    yield _immutable
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_6_sqlite_stores_that_cannot_be_used_are_named_with_the_cause(store, tmp_path, immutable):
    (tmp_path / "folder.db").mkdir()
    (tmp_path / "text.db").write_text("name,score\nada,1\n")
    readonly = tmp_path / "readonly.db"
    open_store(f"sqlite:///{readonly}")  # a real, empty MLflow store
    immutable(readonly)
    cases = {
        f"sqlite:///{tmp_path / 'folder.db'}": f"cannot use '{tmp_path / 'folder.db'}' as the store's database: it is a folder",
        f"sqlite:///{tmp_path / 'text.db'}": f"'{tmp_path / 'text.db'}' is not an SQLite database (file is not a database)",
        f"sqlite:///{readonly}": f"cannot write the store's database '{readonly}': it is read-only for this user",
        "sqlite://": "tracking.uri=sqlite:// is an in-memory database: every run would vanish",
        "sqlite:///:memory:": "tracking.uri=sqlite:///:memory: is an in-memory database",
    }
    for uri, message in cases.items():
        assert_refused_in_one_line(store.train(f"tracking.uri={uri}", check=False), message)
    assert (tmp_path / "text.db").read_text() == "name,score\nada,1\n"  # nothing touched


# -- 7: the experiment -------------------------------------------------------------------------

def test_7_a_deleted_experiment_is_named_with_how_to_restore_it(store):
    client = store.client
    client.delete_experiment(client.create_experiment("old"))
    result = store.train("tracking.experiment=old", check=False)
    assert_refused_in_one_line(result, "tracking.experiment: the experiment 'old' (id 1) is deleted; restore it",
                               "mlflow experiments restore --experiment-id 1", "or choose another tracking.experiment=")
    assert store.runs() == []


def test_7_an_empty_experiment_name_is_refused(store):
    result = store.train("tracking.experiment=''", check=False)
    assert_refused_in_one_line(result, "tracking.experiment must name an MLflow experiment (a non-empty text); got ''",
                               store=store)


# -- 8–10: values the data or scikit-learn cannot take -----------------------------------------

@pytest.mark.parametrize("magnitude, overrides, message", [
    (1e200, [], "column(s) ['b'] of {path} hold values up to 1e+200 in magnitude, too large to standardise"),
    (1e308, [], "column(s) ['b'] of {path} hold values up to 1.798e+308 in magnitude"),
    (1e39, ["train.dtype=float32", "train.scale=false"], "column(s) ['b'] hold values beyond float32's range"),
])
def test_8_features_too_large_to_scale_or_hold_are_refused_by_column(store, csv_path, magnitude, overrides, message):
    frame = pd.read_csv(csv_path)
    frame["b"] = frame["b"] / frame["b"].abs().max() * magnitude * (1 if magnitude < 1e308 else 1.7976)
    frame.to_csv(csv_path, index=False)
    result = store.train("dataset=csv", f"dataset.path={csv_path}", "dataset.target=y", *overrides, check=False)
    assert_refused_in_one_line(result, message.format(path=csv_path), store=store)


def test_9_a_seed_beyond_scikit_learns_range_is_refused(store):
    result = store.train("seed=99999999999999", check=False)
    assert_refused_in_one_line(result, "seed must be a whole number in [0, 4294967295]; got 99999999999999", store=store)


@pytest.mark.parametrize("setting, content, message", [
    (["dataset.features=[]"], None, "dataset.features: an empty list; name at least one column"),
    (["dataset.features=[a,a]"], None, "dataset.features: lists 'a' more than once"),
    ([], "y\n" + "0\n1\n" * 50, "holds only the target column 'y': nothing to learn from"),
])
def test_10_no_features_or_a_feature_twice_is_refused(store, csv_path, setting, content, message):
    if content is not None:
        csv_path.write_text(content)
    result = store.train("dataset=csv", f"dataset.path={csv_path}", "dataset.target=y", *setting, check=False)
    assert_refused_in_one_line(result, message, store=store)


# -- 11: the logged model takes what pandas reads ----------------------------------------------

def test_11_the_logged_model_says_what_it_takes_and_names_a_bad_feature(store, csv_path, tmp_path):
    store.train("dataset=csv", f"dataset.path={csv_path}", "dataset.target=y", "train.iterations=50")
    (run,) = store.runs()
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert {(c.name, c.type) for c in model.metadata.get_input_schema().inputs} == {
        ("a", DataType.double), ("b", DataType.double)}  # what training made of them: float64
    frame = pd.read_csv(csv_path)
    assert frame["a"].dtype == np.int64
    # MLflow checks the signature itself and refuses to cast a 64-bit int column ...
    with pytest.raises(mlflow.exceptions.MlflowException, match="column a. Can not safely convert int64 to float64"):
        model.predict(frame)
    # ... while make predict reads a CSV the way training reads it: the training file scores
    as_floats = model.predict(frame.astype({"a": float}))
    result = predict_file(f"runs:/{run.info.run_id}/model", str(csv_path), str(tmp_path / "out.csv"), progress=False)
    np.testing.assert_allclose(pd.read_csv(tmp_path / "out.csv")["probability"], as_floats["probability"], rtol=1e-15)
    assert result.target == "y" and result.rows == len(frame)
    frame["a"] = frame["a"].astype(float)
    frame.loc[7, "a"] = np.nan
    with pytest.raises(mlflow.exceptions.MlflowException, match=r"feature 'a': row 7 is blank \(NaN\)"):
        model.predict(frame)
    with pytest.raises(mlflow.exceptions.MlflowException, match="column b. Can not safely convert"):
        model.predict(pd.read_csv(csv_path, dtype={"a": float}).assign(b="x"))


# -- 12: make ui and make server ---------------------------------------------------------------

@pytest.mark.parametrize("script", ["ui.py", "server.py"])
@pytest.mark.parametrize("args, message", [
    (["port=-5"], "port must be a whole number in [1, 65535]; got -5"),
    (["port=70000"], "port must be a whole number in [1, 65535]; got 70000"),
    (["port=abc"], "Error merging override port=abc: Value 'abc' of type 'str' could not be converted to Integer"),
    (["prot=5000"], "Could not override 'prot': Key 'prot' not in"),
])
def test_12_bad_ports_and_keys_of_make_ui_and_make_server_are_one_line(tmp_path, script, args, message):
    assert_refused_in_one_line(run_entry_point(script, *args, cwd=tmp_path), message)


@pytest.mark.parametrize("script, suggestion", [("ui.py", "make ui PORT="), ("server.py", 'make server ARGS="port=')])
def test_12_a_port_in_use_is_refused_with_a_free_one_to_use(tmp_path, script, suggestion):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_entry_point(script, f"port={port}", cwd=tmp_path)
    assert_refused_in_one_line(result, f"cannot listen on 127.0.0.1:{port}: Address already in use",
                               f"choose another port: {suggestion}")


def test_12_make_server_refuses_zero_workers(tmp_path):
    assert_refused_in_one_line(run_entry_point("server.py", "workers=0", cwd=tmp_path),
                               "workers must be a whole number in [1, 256]; got 0")


# -- 13: make report ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A store holding one finished sweep of two runs (made once: the cases below only read it)."""
    store = Store(tmp_path_factory.mktemp("swept"))
    store.train("-m", "train.lr=0.1,0.5", "train.iterations=20")
    return store


def report(store, *args):
    return run_entry_point("report.py", f"tracking.uri={store.uri}", f"output_dir={store.folder / 'reports'}", *args,
                           cwd=store.folder)


def test_13_make_report_shows_runs_still_running_with_no_duration(store):
    client = store.client
    experiment_id = use_store(store.uri, "chainrule")
    parent = client.create_run(experiment_id, run_name="sweep-in-progress", tags={"chainrule.role": "sweep"})
    for name in ("training-a", "training-b"):  # nothing has ended yet: no end time at all
        client.create_run(experiment_id, run_name=name,
                          tags={"mlflow.parentRunId": parent.info.run_id, "chainrule.task": "train"})
    result = report(store)
    assert result.returncode == 0, result.stderr  # was: TypeError (tz-naive vs tz-aware)
    table = pd.read_csv(store.folder / "reports" / "sweep-in-progress.csv").set_index("run")
    assert list(table["status"]) == ["RUNNING", "RUNNING"] and table["duration_s"].isna().all()


@pytest.mark.parametrize("args, message", [
    (["parent=\"abc'def\""], "parent must be a run id (32 hexadecimal characters"),
    (["parent=0123456789abcdef0123456789abcdef"], "parent: no run '0123456789abcdef0123456789abcdef' in this experiment"),
    (["metric=unknown"], "metric must be one of train/accuracy"),
    (["metric=val/los"], "(did you mean val/loss?)"),
    (["rows=-1"], "rows must be a whole number in [1, 1000000000]; got -1"),
])
def test_13_make_report_refuses_what_it_cannot_report(swept, args, message):
    assert_refused_in_one_line(report(swept, *args), message)


def test_13_make_report_never_creates_a_store(tmp_path):
    missing = tmp_path / "nothing-here" / "mlflow.db"
    result = run_entry_point("report.py", f"tracking.uri=sqlite:///{missing}", cwd=tmp_path)
    assert_refused_in_one_line(result, f"no store at '{missing}': nothing has been run there yet (make run)")
    assert not missing.parent.exists()


# -- 14: reaping across the store --------------------------------------------------------------

def test_14_a_run_killed_in_one_experiment_is_reaped_by_a_start_in_another(store, launch):
    proc = launch(*LONG, "tracking.experiment=first")
    orphan = wait_for(lambda: running_runs(store), what="the run to start")[0]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    store.train("tracking.experiment=second", "train.iterations=20")
    (reaped,) = [r for r in store.runs() if r.info.run_id == orphan.info.run_id]
    assert reaped.info.status == "KILLED" and reaped.data.tags["chainrule.reaped"].startswith(f"process {proc.pid} on ")


# -- a first CSV's small mishaps ---------------------------------------------------------------

def test_a_semicolon_separated_file_is_recognised_and_read_with_dataset_sep(store, csv_path):
    pd.read_csv(csv_path).to_csv(csv_path, sep=";", index=False)
    result = store.train("dataset=csv", f"dataset.path={csv_path}", "dataset.target=y", check=False)
    assert_refused_in_one_line(result, "columns: ['a;b;y'] — the header reads as one column: the file looks ';'-separated",
                               "read it with dataset.sep=';'", store=store)
    store.train("dataset=csv", f"dataset.path={csv_path}", "dataset.target=y", "dataset.sep=';'", "train.iterations=20")
    assert [r.info.status for r in store.runs()] == ["FINISHED"]


def test_a_compressed_file_named_csv_is_said_to_be_compressed(store, csv_path):
    csv_path.write_bytes(gzip.compress(csv_path.read_bytes()))
    result = store.train("dataset=csv", f"dataset.path={csv_path}", "dataset.target=y", check=False)
    assert_refused_in_one_line(result, f"dataset.path: '{csv_path}' is gzip-compressed, not text", store=store)


def test_a_target_that_differs_only_in_case_gets_a_did_you_mean(store, csv_path):
    result = store.train("dataset=csv", f"dataset.path={csv_path}", "dataset.target=Y", check=False)
    assert_refused_in_one_line(result, "column 'Y' not in", "(did you mean 'y'?)", store=store)


def test_a_blank_target_is_reported_with_its_row(store, csv_path):
    frame = pd.read_csv(csv_path).astype({"y": object})
    frame.loc[41, "y"] = None
    frame.to_csv(csv_path, index=False)
    result = store.train("dataset=csv", f"dataset.path={csv_path}", "dataset.target=y", check=False)
    assert_refused_in_one_line(result, "column 'y' of", "has 1 blank(s), first at row 41 (line 43 of the file)",
                               store=store)


def test_a_non_ascii_path_says_how_to_quote_it_and_quoted_it_works(store, csv_path):
    path = csv_path.rename(csv_path.with_name("données.csv"))
    result = store.train("dataset=csv", f"dataset.path={path}", "dataset.target=y", check=False)
    assert_refused_in_one_line(result, "dataset.path: Hydra reads a value with non-ASCII characters only inside quotes",
                               f"write dataset.path=\"'{path}'\"", store=store)
    store.train("dataset=csv", f"dataset.path='{path}'", "dataset.target=y", "train.iterations=20")
    assert [r.info.status for r in store.runs()] == ["FINISHED"]
