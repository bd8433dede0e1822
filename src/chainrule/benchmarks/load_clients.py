"""Many ``pipelines/train.py`` processes started at once against one tracking URI: the team
server under load, as ``make bench`` measures it and the e2e tests check it.

Each client is a real process of the project's own pipeline, in a process group of its own (it
forks a figure helper), with its output in a file and its Hydra folder apart from the others'.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# What every client logs: the default run's 1,000 iterations (the whole loss history is logged, one
# point per iteration: there is no logging interval to set), the model, and the sweep presets' light
# figures (no per-snapshot views: they cost a run most of a second each, and 8 clients share 2 cores).
RUN = ["train.iterations=1000", "figures=sweep", "tracking.log_model=true", "progress=0"]
STEPS = 1000
# Safe learning rates for the default 2-2-1 network on moons: every client trains to the end (a
# diverged run logs no model) and each run has a name of its own (the name holds the rate).
RATES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45)


@dataclass
class Client:
    """One pipeline process: its ``Popen``, its output file and its wall time once it ended."""

    proc: subprocess.Popen
    log: Path
    started: float
    wall: float | None = None
    output: str = field(default="", repr=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL the client and its figure helper (its process group), as the OOM killer or
        ``kill -9`` would: no handler runs, the run is left as it was."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def client_env(uri: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment pointed at ``uri``, with one BLAS thread per client unless set:
    eight clients with a thread per core each would only oversubscribe the cores."""
    env = dict(os.environ) | {"MLFLOW_TRACKING_URI": uri}
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env | (extra or {})


def start_clients(project_root: Path, folder: Path, uri: str, count: int, experiment: str,
                  env_extra: dict[int, dict[str, str]] | None = None) -> list[Client]:
    """Start ``count`` clients at once, each logging one :data:`RUN` to ``experiment`` at ``uri``.

    Parameters
    ----------
    project_root : Path
        The checkout whose ``pipelines/train.py`` runs.
    folder : Path
        Holds each client's output (``client-<i>.log``) and Hydra folder (``client-<i>/``).
    uri : str
        The tracking URI: a server's ``http://…`` or an embedded ``sqlite:///…`` store.
    count : int
        Clients, at most ``len(RATES)``; client ``i`` trains with learning rate ``RATES[i]``.
    experiment : str
        The MLflow experiment of their runs (one per batch keeps batches apart on one server).
    env_extra : dict, optional
        Client index → variables added to that client's environment (a fault injected, auth).
    """
    if not 1 <= count <= len(RATES):
        raise ValueError(f"count must be between 1 and {len(RATES)}; got {count}")
    folder.mkdir(parents=True, exist_ok=True)
    clients = []
    for i in range(count):
        command = [sys.executable, str(project_root / "pipelines" / "train.py"), *RUN, f"train.lr={RATES[i]}",
                   f"tracking.experiment={experiment}", f"hydra.run.dir={folder / f'client-{i}'}"]
        log = folder / f"client-{i}.log"
        # Output to a file: nobody reads a pipe while eight clients run, and a full pipe blocks its writer.
        with open(log, "w") as out:
            proc = subprocess.Popen(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                    env=client_env(uri, (env_extra or {}).get(i)))
        clients.append(Client(proc, log, time.perf_counter()))
    return clients


def wait_clients(clients: list[Client], timeout: float = 300) -> list[Client]:
    """Wait for every client to end (each one's wall time noted as it ends); kill them all and
    raise TimeoutError if they have not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while any(c.wall is None for c in clients):
        for client in clients:
            if client.wall is None and client.proc.poll() is not None:
                client.wall = time.perf_counter() - client.started
                client.output = client.log.read_text()
        if time.monotonic() > deadline:
            stop_clients(clients)
            raise TimeoutError(f"{sum(c.wall is None for c in clients)} of {len(clients)} clients still running "
                               f"after {timeout}s")
        time.sleep(0.05)
    return clients


def stop_clients(clients: list[Client]) -> None:
    """Kill whatever is left of ``clients`` (after a failure: nothing may outlive a test or a bench)."""
    for client in clients:
        client.kill()


def run_clients(project_root: Path, folder: Path, uri: str, count: int, experiment: str,
                env_extra: dict[int, dict[str, str]] | None = None, timeout: float = 300) -> tuple[list[Client], float]:
    """:func:`start_clients`, then :func:`wait_clients`; the clients and the batch's wall time."""
    start = time.perf_counter()
    clients = start_clients(project_root, folder, uri, count, experiment, env_extra)
    try:
        wait_clients(clients, timeout)
    finally:
        stop_clients(clients)
    return clients, time.perf_counter() - start
