"""``make server auth=true``: MLflow's basic-auth app, its user database and its admin's password.

MLflow keeps users and their permissions in a database named by an ini file
(``MLFLOW_AUTH_CONFIG_PATH``) and creates the admin account on the first start from
``MLFLOW_AUTH_ADMIN_PASSWORD``. This module fills both in: the user database beside an SQLite
backend store (``auth.db``) or in the same PostgreSQL database (MLflow's auth tables and their
migration table, ``alembic_version_auth``, do not clash with the tracking tables), and the admin
password from that variable or from a file only its owner can read.

No secret is written anywhere or passed on a command line: the admin password stays in the
server's environment, the ini file holds the user database's URI without its password (libpq
takes it from ``PGPASSWORD``).
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
from pathlib import Path

from omegaconf import DictConfig
from sqlalchemy.engine import make_url

from chainrule.errors import ConfigError
from chainrule.tracking import postgres
from chainrule.tracking.uris import masked, sqlite_path

ADMIN_PASSWORD_ENV = "MLFLOW_AUTH_ADMIN_PASSWORD"
"""MLflow's own variable for the admin's password (read at the first start, when the admin is created)."""

MIN_PASSWORD_LENGTH = 12
"""MLflow refuses shorter passwords (``mlflow.utils.validation._validate_password``), with a traceback."""

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def admin_password(cfg: DictConfig) -> str:
    """The admin's password: the file ``admin_password_file`` if set, else ``$MLFLOW_AUTH_ADMIN_PASSWORD``.

    Raises
    ------
    ConfigError
        If neither is set, the file is readable by others or not ours, or the password is too short.
    """
    if cfg.admin_password_file:
        password = _read_private_file(Path(cfg.admin_password_file).expanduser())
        source = f"admin_password_file {cfg.admin_password_file}"
    else:
        password = os.environ.get(ADMIN_PASSWORD_ENV, "")
        source = f"${ADMIN_PASSWORD_ENV}"
    if not password:
        raise ConfigError(f"auth=true needs the admin's password: export {ADMIN_PASSWORD_ENV}=<at least "
                          f"{MIN_PASSWORD_LENGTH} characters>, or pass admin_password_file=<a file only you can "
                          "read (chmod 600)>")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(f"the admin's password ({source}) has {len(password)} characters; MLflow takes "
                          f"at least {MIN_PASSWORD_LENGTH}")
    return password


def _read_private_file(path: Path) -> str:
    """The first line of ``path``, which must be a file of this user that nobody else can read."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"admin_password_file {path} is not a file")
        if info.st_uid != os.geteuid():
            raise ConfigError(f"admin_password_file {path} belongs to another user (uid {info.st_uid}); "
                              "keep the admin's password in a file of your own (chmod 600)")
        if info.st_mode & 0o077:
            raise ConfigError(f"admin_password_file {path} can be read by others (mode {stat.S_IMODE(info.st_mode):04o}); "
                              f"make it private: chmod 600 {path}")
        lines = path.read_text().splitlines()
    except OSError as error:
        raise ConfigError(f"cannot read admin_password_file {path}: {error.strerror or error}") from None
    return lines[0] if lines else ""


def user_database(backend: str) -> tuple[str, dict[str, str]]:
    """Where the basic-auth app keeps its users, for the backend store ``backend``, and the
    environment its connection needs (``PGPASSWORD``: so that the URI in the ini file has none).

    Raises
    ------
    ConfigError
        If the backend is neither SQLite nor PostgreSQL.
    """
    db = sqlite_path(backend)
    if db is not None:
        return f"sqlite:///{db.parent / 'auth.db'}", {}
    if postgres.is_postgresql(backend):
        url = make_url(backend)
        env = {"PGPASSWORD": url.password} if url.password else {}
        return url._replace(password=None).render_as_string(hide_password=False), env  # set() takes None as "keep"
    raise ConfigError(f"auth=true keeps its users beside the backend store, which must be SQLite or PostgreSQL; "
                      f"got {masked(backend)}")


def enable(cfg: DictConfig, backend: str, password: str) -> list[str]:
    """Ready this process's environment for ``mlflow server --app-name basic-auth``; the arguments to add.

    ``password`` is the admin's (:func:`admin_password`).

    The ini file (mode 0600, in a private temporary folder: it names the user database) holds no
    secret. The CSRF key MLflow's app requires is made up for this start unless one is set: every
    worker inherits it, which is all MLflow asks of it.
    """
    database, env = user_database(backend)
    handle, ini = tempfile.mkstemp(prefix="chainrule-basic-auth-", suffix=".ini")  # created 0600
    with os.fdopen(handle, "w") as out:
        out.write("[mlflow]\n"
                  f"default_permission = {cfg.default_permission}\n"
                  f"database_uri = {database.replace('%', '%%')}\n"  # configparser's interpolation
                  f"admin_username = {cfg.admin_username}\n")
    os.environ.update(env)
    os.environ[ADMIN_PASSWORD_ENV] = password
    os.environ["MLFLOW_AUTH_CONFIG_PATH"] = ini
    os.environ.setdefault("MLFLOW_FLASK_SERVER_SECRET_KEY", secrets.token_hex(32))
    return ["--app-name", "basic-auth"]


def exposure_warning(cfg: DictConfig) -> str | None:
    """A warning for a server without auth that listens beyond this machine, else None."""
    if cfg.auth or cfg.host in LOOPBACK:
        return None
    return (f"warning: make server listens on {cfg.host} without authentication: anyone who can reach this "
            "machine on that network can read, change and delete every run; start it with auth=true "
            "(README: A team server with users)")
