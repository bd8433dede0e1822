"""make server auth=true: MLflow's basic-auth app in front of the runs, over SQLite and PostgreSQL.

One real server per backend for the module (a start costs 10-20 s): accounts made with make user,
permissions given with make grant, clients logging in with MLFLOW_TRACKING_USERNAME / PASSWORD.
A wrong or missing password, or a user allowed only to read, stops every entry point with one
line before anything is trained; the admin's password is never on a command line or in the log.
"""

import base64
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.server import get_app_client

from tests.conftest import POSTGRES_PASSWORD, ROOT, Store, group_pids

from .servers import free_port, group_command_lines, tracking_server

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
ADMIN = "adm1n-Secret-for-tests"  # at least 12 characters, as MLflow requires
USERS = {"reader": ("reader-password-1",), "editor": ("editor-password-1",)}  # READ, EDIT on chainrule
CREDENTIALS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_AUTH_ADMIN_PASSWORD")
SMALL = ["model.hidden_width=3", "train.iterations=30"]


def clean_env(**extra: str) -> dict:
    """This process's environment without any credentials or store, plus ``extra``."""
    return {k: v for k, v in os.environ.items() if k not in (*CREDENTIALS, "MLFLOW_TRACKING_URI")} | extra


def entry_point(script: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "pipelines" / f"{script}.py"), *args], env=env,
                          capture_output=True, text=True, timeout=300)


def logged_in(user: str, password: str):
    """This process's MLflow client logged in as ``user`` inside the block (it reads the variables per request)."""
    return mock.patch.dict(os.environ, MLFLOW_TRACKING_USERNAME=user, MLFLOW_TRACKING_PASSWORD=password)


class AuthServer(Store):
    """A server with users at ``uri``; its store read as its admin."""

    def __init__(self, folder, uri, proc, backend):
        super().__init__(folder)
        self.uri, self.proc, self.backend = uri, proc, backend

    def exists(self) -> bool:
        return True

    def runs(self):
        with logged_in("admin", ADMIN):
            return super().runs()

    def train_as(self, user: str | None, password: str | None, *overrides: str) -> subprocess.CompletedProcess:
        env = clean_env(MLFLOW_TRACKING_URI=self.uri)
        if user is not None:
            env |= {"MLFLOW_TRACKING_USERNAME": user, "MLFLOW_TRACKING_PASSWORD": password}
        command = [sys.executable, str(ROOT / "pipelines" / "train.py"), *overrides, "progress=0",
                   f"hydra.run.dir={self.folder / 'outputs'}", f"hydra.sweep.dir={self.folder / 'multirun'}"]
        return subprocess.run(command, cwd=self.folder, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """A server with users over each backend: the admin's password from the environment (SQLite) or
    from a private file (PostgreSQL); ``reader`` may read experiment chainrule, ``editor`` edit it."""
    folder = tmp_path_factory.mktemp(f"auth-{request.param}")
    if request.param == "postgresql":
        backend = request.getfixturevalue("postgres").create_database("auth")
        secret = folder / "admin-password"
        secret.write_text(ADMIN + "\n")
        secret.chmod(0o600)
        started = tracking_server(ROOT, folder, backend, overrides=["auth=true", f"admin_password_file={secret}"])
    else:
        started = tracking_server(ROOT, folder, auth_password=ADMIN)
    with started as (url, proc):
        admin = clean_env(MLFLOW_TRACKING_URI=url, MLFLOW_AUTH_ADMIN_PASSWORD=ADMIN)
        with logged_in("admin", ADMIN):  # the experiment, with one finished run for the reader to list
            client = MlflowClient(url)
            experiment_id = client.create_experiment("chainrule")
            client.set_terminated(client.create_run(experiment_id, run_name="by-the-admin").info.run_id)
            # the editor through MLflow's own client (one process fewer), the reader through make user / grant
            accounts = get_app_client("basic-auth", tracking_uri=url)
            accounts.create_user("editor", USERS["editor"][0])
            accounts.grant_user_permission("editor", "experiment", experiment_id, "EDIT")
        made = entry_point("user", "name=reader", env=admin | {"CHAINRULE_USER_PASSWORD": USERS["reader"][0]})
        assert made.returncode == 0, made.stderr
        assert "created user 'reader'" in made.stdout
        granted = entry_point("grant", "user=reader", "permission=READ", env=admin)
        assert granted.returncode == 0, granted.stderr
        yield AuthServer(folder, url, proc, request.param)


def status_of(url: str, user: str | None = None, password: str | None = None) -> int:
    request = urllib.request.Request(f"{url}/api/2.0/mlflow/experiments/search?max_results=1")
    if user is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def assert_one_line(result: subprocess.CompletedProcess, *fragments: str) -> str:
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    (line,) = [line for line in output.splitlines() if fragments[0] in line]
    for fragment in fragments:
        assert fragment in line, line
    return line


def test_anonymous_requests_and_wrong_passwords_get_401(server):
    assert status_of(server.uri) == 401
    assert status_of(server.uri, "reader", "not-the-password") == 401
    assert status_of(server.uri, "admin", ADMIN[:-1]) == 401
    assert status_of(server.uri, "reader", USERS["reader"][0]) == 200


def test_a_read_user_lists_the_runs_but_cannot_log_one(server):
    with logged_in("reader", USERS["reader"][0]):
        client = MlflowClient(server.uri)
        experiment = client.get_experiment_by_name("chainrule")
        assert [r.info.run_name for r in client.search_runs([experiment.experiment_id])] == ["by-the-admin"]
        with pytest.raises(MlflowException) as refused:
            client.create_run(experiment.experiment_id)
    assert refused.value.get_http_status_code() == 403


def test_a_read_user_training_stops_before_training_with_one_line_and_no_run(server):
    before = {r.info.run_id for r in server.runs()}
    result = server.train_as("reader", USERS["reader"][0], *SMALL)
    assert_one_line(result, "does not let user 'reader' log runs to experiment 'chainrule' (403",
                    'make grant ARGS="user=reader experiment=chainrule permission=EDIT"')
    assert "iteration" not in result.stdout + result.stderr  # refused before any training
    runs = server.runs()
    assert {r.info.run_id for r in runs} == before and not [r for r in runs if r.info.status == "RUNNING"]


@pytest.mark.parametrize("user", [None, "reader"], ids=["anonymous", "wrong-password"])
def test_training_without_the_right_password_stops_with_one_line_401(server, user):
    result = server.train_as(user, None if user is None else "wrong-password-1", *SMALL)
    who = "an anonymous client (MLFLOW_TRACKING_USERNAME is not set)" if user is None else "user 'reader'"
    assert_one_line(result, f"the tracking server at {server.uri} refused {who} (401: not authenticated)",
                    "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD", "(make user)")
    assert "iteration" not in result.stdout + result.stderr


# What a client does with a 401, and the accounts' refusals, do not depend on the server's backend:
# over SQLite only (the module's SQLite server, not a second one).
SQLITE_ONLY = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


@SQLITE_ONLY
@pytest.mark.parametrize("script, args", [
    ("report", []), ("promote", ["run=latest"]), ("predict", ["input=in.csv", "output=out.csv"]),
])
def test_report_promote_and_predict_with_a_wrong_password_stop_with_one_line_401(server, script, args):
    env = clean_env(MLFLOW_TRACKING_USERNAME="editor", MLFLOW_TRACKING_PASSWORD="wrong-password-1")
    result = entry_point(script, f"tracking.uri={server.uri}", *args, env=env)
    assert_one_line(result, "refused user 'editor' (401", "MLFLOW_TRACKING_PASSWORD")


def test_an_edit_user_logs_a_run_reads_it_back_and_may_not_grant(server):
    # Over both backends: EDIT is looked up in auth.db (SQLite) or in the tracking database's own tables.
    # figures=sweep: no snapshot images, each of which is a request and, through a server with users, a
    # password check (about 0.13 s here).
    before = {r.info.run_id for r in server.runs()}
    result = server.train_as("editor", USERS["editor"][0], "figures=sweep", *SMALL)
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = [r for r in server.runs() if r.info.run_id not in before]
    assert run.info.status == "FINISHED"
    with logged_in("editor", USERS["editor"][0]):  # the editor reads back what it logged, figures included
        assert "figures/loss_curve.png" in {a.path for a in MlflowClient(server.uri).list_artifacts(run.info.run_id, "figures")}
        # and, with a 403 of its own, it may not hand out permissions: only the admin (or a MANAGE user) may
        result = entry_point("grant", f"tracking.uri={server.uri}", "user=reader", "permission=EDIT",
                             env=clean_env(MLFLOW_TRACKING_USERNAME="editor", MLFLOW_TRACKING_PASSWORD=USERS["editor"][0]))
    assert_one_line(result, "user 'editor' is not an admin of the tracking server")


@SQLITE_ONLY  # what a sweep logs does not depend on where the users live (about 55 s each)
def test_an_edit_user_logs_a_sweep_with_its_parent_and_children(server):
    result = server.train_as("editor", USERS["editor"][0], "-m", "train.lr=0.1,1.0", "figures=sweep", *SMALL)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = server.runs()
    (parent,) = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert parent.info.status == "FINISHED"
    assert len(children) == 2 and all(c.info.status == "FINISHED" for c in children)
    with logged_in("editor", USERS["editor"][0]):
        assert "figures/loss_comparison.png" in {
            a.path for a in MlflowClient(server.uri).list_artifacts(parent.info.run_id, "figures")}


def test_the_admin_password_is_on_no_command_line_nor_in_the_log_nor_in_the_auth_file(server):
    pids = group_pids(server.proc.pid)
    command_lines = group_command_lines(server.proc.pid)
    assert any("--app-name basic-auth" in line for line in command_lines)  # the server, with users
    assert len(command_lines) >= 2  # mlflow server and its uvicorn worker(s): all looked at
    assert not [line for line in command_lines if ADMIN in line]
    log = (server.folder / "server.log").read_text()
    assert "MLFLOW_TRACKING_USERNAME" in log  # what make server printed is in it
    assert ADMIN not in log
    environ = dict(item.split("=", 1) for item in Path(f"/proc/{pids[0]}/environ").read_text().split("\0") if "=" in item)
    ini = Path(environ["MLFLOW_AUTH_CONFIG_PATH"])
    assert ini.stat().st_mode & 0o777 == 0o600
    assert ADMIN not in ini.read_text() and POSTGRES_PASSWORD not in ini.read_text()  # neither password is written down
    assert ("auth.db" in ini.read_text()) == (server.backend == "sqlite")


@SQLITE_ONLY
def test_make_user_and_make_grant_refuse_in_one_line(server):
    admin = clean_env(MLFLOW_TRACKING_URI=server.uri, MLFLOW_AUTH_ADMIN_PASSWORD=ADMIN)
    assert_one_line(entry_point("grant", "user=reader", "permission=WRITE", env=admin),
                    "permission must be one of READ, EDIT, MANAGE, NO_PERMISSIONS", "got 'WRITE'")
    assert_one_line(entry_point("grant", "user=nobody", "permission=READ", env=admin),
                    "no user 'nobody'", 'make user ARGS="name=nobody"')
    assert_one_line(entry_point("grant", "user=reader", "experiment=nope", "permission=READ", env=admin),
                    "no experiment 'nope'", "chainrule")
    wrong = admin | {"MLFLOW_AUTH_ADMIN_PASSWORD": "not-the-admin-password", "CHAINRULE_USER_PASSWORD": "long-enough-pw"}
    line = assert_one_line(entry_point("user", "name=carol", env=wrong), "refused user 'admin' (401")
    assert "not-the-admin-password" not in line


# -- refused before any server starts -----------------------------------------------------------

def start_server(tmp_path, *overrides: str, env: dict) -> subprocess.CompletedProcess:
    return entry_point("server", f"port={free_port()}", f"backend_store_uri=sqlite:///{tmp_path / 'mlflow.db'}",
                       f"artifacts_destination={tmp_path / 'artifacts'}", *overrides, env=env)


def private_file(tmp_path: Path, text: str, mode: int) -> Path:
    path = tmp_path / "admin-password"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("setup, fragments", [
    (lambda tmp: ([], {}), ["auth=true needs the admin's password: export MLFLOW_AUTH_ADMIN_PASSWORD=",
                             "admin_password_file="]),
    (lambda tmp: ([], {"MLFLOW_AUTH_ADMIN_PASSWORD": "short-1"}), ["has 7 characters; MLflow takes at least 12"]),
    (lambda tmp: ([f"admin_password_file={private_file(tmp, ADMIN, 0o640)}"], {}),
     ["can be read by others (mode 0640); make it private: chmod 600 "]),
    (lambda tmp: ([f"admin_password_file={tmp / 'missing'}"], {}), ["cannot read admin_password_file"]),
    (lambda tmp: (["default_permission=WRITE"], {"MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN}),
     ["default_permission must be one of EDIT, MANAGE, NO_PERMISSIONS, READ; got 'WRITE'"]),
], ids=["no-password", "short-password", "group-readable-file", "missing-file", "unknown-permission"])
def test_a_server_with_users_is_refused_in_one_line_without_a_usable_admin_password(tmp_path, setup, fragments):
    overrides, env = setup(tmp_path)
    result = start_server(tmp_path, "auth=true", *overrides, env=clean_env(**env))
    assert result.stdout == ""
    line = assert_one_line(result, *fragments)
    assert ADMIN not in result.stderr and line == result.stderr.strip()
    assert not (tmp_path / "mlflow.db").exists()  # refused before any store was made


def test_a_server_beyond_loopback_without_auth_warns_that_anyone_can_change_every_run(tmp_path):
    with socket.socket() as taken:  # make server stops at the busy port: nothing is exposed by this test
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        open_server = entry_point("server", "host=0.0.0.0", f"port={port}", env=clean_env())
        with_users = entry_point("server", "host=0.0.0.0", f"port={port}", "auth=true",
                                 env=clean_env(MLFLOW_AUTH_ADMIN_PASSWORD=ADMIN))
    warning, refusal = open_server.stderr.strip().splitlines()
    assert warning.startswith("warning: make server listens on 0.0.0.0 without authentication: anyone who can "
                              "reach this machine on that network can read, change and delete every run")
    assert refusal.startswith(f"cannot listen on 0.0.0.0:{port}")
    assert "warning" not in with_users.stderr and with_users.returncode == 2
