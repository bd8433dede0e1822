"""Starting and stopping real servers on free loopback ports (the e2e tests and ``make bench``)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from chainrule.errors import ConfigError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_port_free(host: str, port: int, suggestion: str) -> None:
    """ConfigError if something listens on ``host:port`` already (another UI or server, say), with
    ``suggestion`` (a command with ``{port}`` in it) filled in with a port that is free.

    MLflow's server would print "Address already in use" and exit 0, as if it had run."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: a closed port in TIME_WAIT is free
        try:
            s.bind((host, port))
        except OSError as error:
            raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror or error} (another make ui or make "
                              f"server?); choose another port: {suggestion.format(port=free_port())}") from None


def exec_mlflow(arguments: list[str], lines: list[str]) -> None:
    """Print ``lines``, then replace this process by ``python -m mlflow <arguments>`` (Ctrl-C then stops MLflow)."""
    print("\n".join(lines), flush=True)
    os.execvp(sys.executable, [sys.executable, "-m", "mlflow", *arguments])


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120, log: Path | None = None) -> None:
    """Return once ``url/health`` answers.

    Parameters
    ----------
    url : str
        ``http://host:port`` of the server.
    proc : subprocess.Popen
        The server's process; its output (a pipe, or the file ``log``) goes into the error.
    timeout : float
        Seconds to wait (MLflow's server takes 10–20 s to start on this kind of machine).
    log : Path, optional
        Where the server's output goes when it is not a pipe.

    Raises
    ------
    RuntimeError
        If the server exits or does not answer within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.communicate()[0] if proc.stdout else (log.read_text() if log else "")
            raise RuntimeError(f"the server for {url} exited with code {proc.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} not healthy after {timeout}s")


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group ``proc`` leads (a server and its workers), SIGKILL after 20 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()


@contextmanager
def throwaway(prefix: str, make: Callable[[Path], object]) -> Iterator:
    """``make(folder)`` over a fresh temp folder, started, yielded, stopped, and the folder deleted.

    For the throw-away PostgreSQL and SLURM clusters: anything with ``start()`` and ``stop()``
    whose state all lives in ``folder``. The folder comes from ``tempfile`` rather than pytest's
    tmp_path: that one sits under a root-only folder the ``postgres`` and ``munge`` users cannot
    enter, and a unix socket's path must stay short.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        service = make(folder)
        try:
            service.start()
            yield service
        finally:  # after a failed start too: what did start must not outlive it
            service.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def tracking_server(project_root: Path, folder: Path, backend_store_uri: str | None = None,
                    env: dict[str, str] | None = None, *, auth_password: str | None = None,
                    overrides: Sequence[str] = ()) -> Iterator[tuple[str, subprocess.Popen]]:
    """``pipelines/server.py`` (MLflow's tracking server) on a free loopback port, until the block ends.

    Parameters
    ----------
    project_root : Path
        The checkout whose ``pipelines/server.py`` runs.
    folder : Path
        Holds the artifacts (``artifacts/``), the server's output (``server.log``) and, by
        default, the SQLite backend (``mlflow.db``).
    backend_store_uri : str, optional
        Another backend, e.g. ``postgresql://…``.
    env : dict, optional
        Variables added to the server's environment.
    auth_password : str, optional
        With it, the server has users (``auth=true``): this is the password of its admin
        (``admin``), handed over in ``$MLFLOW_AUTH_ADMIN_PASSWORD``, never on a command line.
        Its user database is ``auth.db`` in ``folder`` (SQLite) or the PostgreSQL database.
    overrides : sequence of str, optional
        More of ``conf/server.yaml``'s settings (``default_permission=NO_PERMISSIONS``,
        ``auth=true admin_password_file=…``, ``workers=2``).

    Yields
    ------
    url : str
        The URI clients log to, ``http://127.0.0.1:<port>``.
    process : subprocess.Popen
        The server's process, leader of its own process group.
    """
    port = free_port()
    backend = backend_store_uri or f"sqlite:///{folder / 'mlflow.db'}"
    command = [
        sys.executable, str(project_root / "pipelines" / "server.py"), f"port={port}",
        f"backend_store_uri={backend}", f"artifacts_destination={folder / 'artifacts'}",
        *(["auth=true"] if auth_password is not None else []), *overrides,
    ]
    added = (env or {}) | ({"MLFLOW_AUTH_ADMIN_PASSWORD": auth_password} if auth_password is not None else {})
    log = folder / "server.log"
    # Output to a file, not a pipe: nobody reads a pipe while the server runs, and its
    # access log would fill the pipe's buffer and block the server mid-request.
    with open(log, "w") as out:
        # Its own process group, so stop_group ends the workers mlflow server spawns too.
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env=os.environ | added)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log=log)
        yield url, proc
    finally:
        stop_group(proc)
