"""A PostgreSQL store: the pinned driver, and a database that must answer within seconds.

Kept apart from :mod:`chainrule.tracking.store` so that runs on other stores never import the
PostgreSQL driver.
"""

from __future__ import annotations

import psycopg2
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from chainrule.errors import StoreError
from chainrule.tracking.uris import masked

DATABASE_CONNECT_TIMEOUT = 5
"""Seconds to wait for a PostgreSQL backend before saying it is unreachable (libpq's minimum is 2)."""


def _database_url(uri: str) -> URL | None:
    """``uri`` parsed as a SQLAlchemy database URL (what MLflow's backend store takes), else None."""
    try:
        return make_url(uri)
    except ArgumentError:  # a path or an http:// address: not a database URL
        return None


def is_postgresql(uri: str) -> bool:
    """Whether ``uri`` is a PostgreSQL backend store (``postgresql://``, ``postgresql+psycopg2://``, ...)."""
    url = _database_url(uri)
    return url is not None and url.get_backend_name() == "postgresql"


def with_pinned_driver(uri: str) -> str:
    """A bare ``postgresql://`` URI made explicit as ``postgresql+psycopg2://``; any other unchanged.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3, which is not installed: the pinned
    driver is psycopg2 (psycopg2-binary).
    """
    url = _database_url(uri)
    if url is None or url.drivername != "postgresql":
        return uri
    return url.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def check_database(uri: str, timeout: float = DATABASE_CONNECT_TIMEOUT, setting: str = "backend_store_uri") -> None:
    """Connect once to the PostgreSQL database of ``uri`` and hang up.

    MLflow's server would otherwise retry for minutes and then print a long traceback; a wrong
    host, password or database name deserves one line.

    Parameters
    ----------
    uri : str
        A ``postgresql[+driver]://user:password@host:port/database[?options]`` URI.
    timeout : float
        Seconds to wait for the server to answer.
    setting : str
        Where the URI came from, named in the message (``make server``'s ``backend_store_uri``,
        a run's ``tracking.uri``).

    Raises
    ------
    StoreError
        If the database cannot be reached: the URI with its password masked, the driver's
        reason, and what to do.
    """
    url = make_url(uri)
    # The pinned driver (psycopg2) takes libpq's keywords; the URI's ?options (sslmode, host=<socket
    # dir>) are libpq keywords already.
    params = {**url.translate_connect_args(username="user", database="dbname"), **url.query}
    try:
        psycopg2.connect(connect_timeout=timeout, **params).close()
    except psycopg2.Error as error:
        reason = " ".join(str(error).split())  # libpq's reasons span several lines
        raise StoreError(
            f"cannot reach the tracking database {masked(uri)}: {reason} — check that PostgreSQL runs "
            "there and that the user, password and database exist (createuser, createdb), or pass another "
            f"{setting}=…"
        ) from None


