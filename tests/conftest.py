"""Shared helpers: every pipeline test keeps its Hydra outputs and MLflow store in tmp_path."""

import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from hypothesis import settings
from hydra import compose, initialize_config_dir
from mlflow import MlflowClient

from chainrule.experiment import schemas
from chainrule.tracking.store import open_store

ROOT = Path(__file__).resolve().parents[1]

schemas.register()  # what every entry point does before Hydra composes a config

# Property tests: reproducible in CI (derandomised), and no time limit per example on a shared machine.
settings.register_profile("chainrule", deadline=None, derandomize=bool(os.environ.get("CI")), print_blob=True)
settings.load_profile("chainrule")
TRAIN = ROOT / "pipelines" / "train.py"


class Store:
    """A throw-away MLflow store (SQLite + artifacts) in a temp folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.uri = f"sqlite:///{folder / 'mlflow.db'}"

    @property
    def client(self) -> MlflowClient:
        mlflow.set_tracking_uri(self.uri)
        return open_store(self.uri)  # waits while another process creates the store

    def exists(self) -> bool:
        """Whether the store's database file exists (a first run creates it)."""
        return (self.folder / "mlflow.db").exists()

    def runs(self):
        """Every run of every experiment, newest first (empty if the store was never created)."""
        if not self.exists():
            return []
        client = self.client
        ids = [e.experiment_id for e in client.search_experiments()]
        return client.search_runs(ids) if ids else []

    def train(self, *overrides: str, check: bool = True, env_extra=None) -> subprocess.CompletedProcess:
        """Run pipelines/train.py in a subprocess against this store; output folders in the temp dir."""
        env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
        env["MLFLOW_TRACKING_URI"] = self.uri
        env.update(env_extra or {})
        command = [
            sys.executable, str(TRAIN), *overrides, "progress=0",
            f"hydra.run.dir={self.folder / 'outputs'}", f"hydra.sweep.dir={self.folder / 'multirun'}",
        ]
        result = subprocess.run(command, cwd=self.folder, env=env, capture_output=True, text=True, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"train.py failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result


def artifact_paths(client, run_id, path=""):
    """Every artifact path of a run, files only, folders walked."""
    found = []
    for item in client.list_artifacts(run_id, path):
        found += artifact_paths(client, run_id, item.path) if item.is_dir else [item.path]
    return found


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path)


POSTGRES_PASSWORD = "s3cret-pg"


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL cluster of the tests' own (initdb in a temp folder, on a free loopback port, password
    ``POSTGRES_PASSWORD``), started once for the session (~9 s in CI): a test that needs an empty store
    creates a database of its own in it."""
    from tests.e2e.servers import throwaway_postgres  # psycopg2: only for the tests that use PostgreSQL

    with throwaway_postgres(POSTGRES_PASSWORD) as cluster:
        yield cluster


def compose_with_hydra(*overrides: str):
    """conf/config.yaml composed with ``overrides``, the ``hydra`` node included (mode, sweeper, launcher)."""
    with initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=True)


@pytest.fixture
def compose_config():
    """Compose conf/config.yaml with overrides, as Hydra would for a run."""

    def _compose(*overrides: str):
        with initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
            return compose("config", overrides=list(overrides))

    return _compose


def group_pids(pgid: int) -> list[int]:
    """Pids of the live (not zombie) processes of process group ``pgid``: a launched process and
    whatever it started, servers and helpers included."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # processes come and go while we look
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command name
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # fields 3 and 5 of proc(5): state, pgrp
            pids.append(int(stat.parent.name))
    return pids


OUTER_MAKE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "ARGS", "JOBS", "LAUNCHER", "PORT")


def env_for_make(**extra: str) -> dict:
    """This process's environment without what an outer ``make test ARGS=…`` passes down, plus ``extra``.

    make exports its command-line variables to sub-makes (through MAKEFLAGS), so a ``make ui``
    started by a test would otherwise receive the test run's own ``ARGS``.
    """
    return {k: v for k, v in os.environ.items() if k not in OUTER_MAKE} | extra


def sitecustomize_env(folder: Path, source: str) -> dict:
    """Environment for child processes that run ``source`` as they start (a ``sitecustomize`` in
    ``folder``, put first on PYTHONPATH): how tests change a real process with no hook in the product."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(source)
    return {"PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])}


def fault_injection_env(folder: Path, lr: float, message: str = "injected fault") -> dict:
    """Environment for a child process whose chainrule.core.fit raises for one learning rate:
    a real exception inside a real job, injected by a sitecustomize, with no hook in the product."""
    return sitecustomize_env(
        folder,
        "import chainrule.core.training as training\n"
        "_fit = training.fit\n"
        "def fit(model, X, y, lr, *args, **kwargs):\n"
        f"    if lr == {lr!r}:\n"
        f"        raise RuntimeError({message!r})\n"
        "    return _fit(model, X, y, lr, *args, **kwargs)\n"
        "training.fit = fit\n"
        "import chainrule.experiment.run\n"
        "chainrule.experiment.run.fit = fit\n",
    )


@pytest.fixture
def inject_fault(tmp_path):
    """``inject_fault(lr, message)`` → env making the train.py child raise for that learning rate."""
    return lambda lr, message="injected fault": fault_injection_env(tmp_path / "fault", lr, message)
