"""A throw-away PostgreSQL server of its own (initdb in a temp folder, a free loopback port):
the tracking-server tests over PostgreSQL and ``make bench``'s server sections.

Debian's ``postgresql`` package (``make database``) provides the binaries; nothing else on the
machine is touched.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

from chainrule.runtime.servers import free_port, throwaway


def postgres_bin() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Debian's package puts them in /usr/lib/postgresql/<version>/bin, off PATH (the newest version
    wins); elsewhere they are on PATH.
    """
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    found = debian[-1] if debian else shutil.which("initdb")
    if found is None:
        raise RuntimeError("PostgreSQL's initdb is not installed: run `make database` (Debian's postgresql package)")
    return Path(found).parent


def _cluster_owner() -> str | None:
    """Who runs initdb and postgres: both refuse to run as root, so as root the ``postgres`` user
    Debian's package creates (or ``nobody`` without it); otherwise ourselves (None)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    raise RuntimeError("running as root, and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL as")


class PostgresCluster:
    """A PostgreSQL server of its own in ``folder``, on 127.0.0.1:``port``, with password login.

    The superuser ``user`` logs in with ``password`` over TCP (SCRAM), as against a real
    deployment; the unix socket stays inside ``folder`` so that nothing else on the machine is touched.
    """

    user = "chainrule"

    def __init__(self, folder: Path, port: int, password: str):
        self.folder, self.port, self.password = folder, port, password
        self.owner = _cluster_owner()
        self.bin = postgres_bin()

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner, "--", *command]
        # cwd: the owner may not be allowed into ours; postgres's own output goes to its log file.
        result = subprocess.run(command, cwd=self.folder, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.folder / "postgres.log"
            raise RuntimeError(f"{tool} failed:\n{result.stdout}{result.stderr}{log.read_text() if log.exists() else ''}")

    def start(self) -> None:
        """initdb, then pg_ctl start, waiting until the server accepts connections."""
        pwfile = self.folder / "password"
        pwfile.write_text(self.password)
        if self.owner is not None:
            for path in (self.folder, pwfile):
                shutil.chown(path, self.owner)
        self._run("initdb", "-D", "data", "-U", self.user, f"--pwfile={pwfile}", "--auth-host=scram-sha-256",
                  "--auth-local=trust", "--no-sync", "--no-instructions")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"  # fsync: throw-away data
        self._run("pg_ctl", "-D", "data", "-l", "postgres.log", "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        if (self.folder / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop")

    def uri(self, database: str, password: str | None = None) -> str:
        """A backend store URI for ``database``; ``password`` replaces the right one."""
        secret = quote(self.password if password is None else password, safe="")
        return f"postgresql://{self.user}:{secret}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database ``name``; its URI."""
        import psycopg2  # the driver, only where a database is made (runtime otherwise needs none)
        from psycopg2 import sql

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password,
                                      dbname="postgres")
        try:
            connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            connection.close()
        return self.uri(name)


def throwaway_postgres(password: str):
    """A started PostgreSQL cluster in a fresh temp folder, stopped and deleted on exit."""
    return throwaway("chainrule-pg-", lambda folder: PostgresCluster(folder, free_port(), password))
