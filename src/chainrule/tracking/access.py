"""A tracking server with users (``make server auth=true``): its 401 and 403 said in one line.

MLflow's client sends ``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD`` on every
request; a server without auth ignores them. Without them, or with a wrong password, the
basic-auth app answers 401, and MLflow's client raises a long exception. :func:`check_credentials`
asks once, cheaply, as a store is opened (before any data is read or any run exists);
:func:`explained` turns a 403 — a user allowed to read an experiment but not to log to it — into
what to ask the admin for, where a run is created (the first write, before training).
"""

from __future__ import annotations

import contextlib
import os

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from chainrule.errors import StoreError
from chainrule.tracking.uris import masked


def who() -> str:
    """The account this process logs in as, as a refusal names it."""
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    return f"user {user!r}" if user else "an anonymous client (MLFLOW_TRACKING_USERNAME is not set)"


def not_authenticated(uri: str) -> StoreError:
    """The one line for a 401 from the server at ``uri``."""
    return StoreError(
        f"the tracking server at {masked(uri)} refused {who()} (401: not authenticated): set "
        "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD to an account the server's admin created "
        "(make user), or ask the admin for one")


def forbidden(uri: str, experiment: str, doing: str, needs: str) -> StoreError:
    """The one line for a 403: ``doing`` on ``experiment`` needs the permission ``needs``."""
    user = os.environ.get("MLFLOW_TRACKING_USERNAME", "<you>")
    return StoreError(
        f"the tracking server at {masked(uri)} does not let {who()} {doing} experiment {experiment!r} "
        f"(403: permission denied); that needs {needs}: ask the server's admin for it "
        f'(make grant ARGS="user={user} experiment={experiment} permission={needs}")')


def check_credentials(uri: str) -> None:
    """One authenticated request to the server at ``uri``; StoreError on a 401.

    Listing one experiment is the cheapest request every account may make (a server filters the
    list by permission instead of refusing it).
    """
    try:
        MlflowClient(uri).search_experiments(max_results=1)
    except MlflowException as error:
        if error.get_http_status_code() == 401:
            raise not_authenticated(uri) from None
        # Anything else is not about credentials: the request that needs the answer reports it, as before.


@contextlib.contextmanager
def explained(uri: str, experiment: str, doing: str = "log runs to", needs: str = "EDIT"):
    """Raise MLflow's 401 and 403 inside the block as one-line StoreErrors; any other error as it was.

    Parameters
    ----------
    uri : str
        The tracking server.
    experiment : str
        The experiment's name, as the refusal and the ``make grant`` it suggests name it.
    doing, needs : str
        What the block does to the experiment, and the permission that takes.
    """
    try:
        yield
    except MlflowException as error:
        status = error.get_http_status_code()
        if status == 401:
            raise not_authenticated(uri) from None
        if status == 403:
            raise forbidden(uri, experiment, doing, needs) from None
        raise
