"""``make user`` and ``make grant``: accounts and permissions on a server with users, through
MLflow's own client of its basic-auth app (``mlflow.server.get_app_client("basic-auth", …)``).

The admin logs in like any client, with ``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``;
when those are not set, as ``$MLFLOW_AUTH_ADMIN_USERNAME`` (``admin``) with
``$MLFLOW_AUTH_ADMIN_PASSWORD``, the variable ``make server auth=true`` started with. A new
user's password comes from ``$CHAINRULE_USER_PASSWORD`` or is asked for: never an argument.
"""

from __future__ import annotations

import getpass
import os
import sys
import warnings

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from chainrule.errors import ConfigError, StoreError
from chainrule.tracking import access
from chainrule.tracking.server_auth import ADMIN_PASSWORD_ENV, MIN_PASSWORD_LENGTH

USER_PASSWORD_ENV = "CHAINRULE_USER_PASSWORD"
"""Where ``make user`` takes the new account's password from when it cannot ask (no terminal)."""


def as_admin(uri: str):
    """MLflow's client of the basic-auth app at ``uri``, logged in as its admin (see the module's doc).

    Raises
    ------
    StoreError
        If the server refuses the credentials (401), or they are not an admin's (403).
    """
    from mlflow.server import get_app_client

    if "MLFLOW_TRACKING_USERNAME" not in os.environ and os.environ.get(ADMIN_PASSWORD_ENV):
        os.environ["MLFLOW_TRACKING_USERNAME"] = os.environ.get("MLFLOW_AUTH_ADMIN_USERNAME", "admin")
        os.environ["MLFLOW_TRACKING_PASSWORD"] = os.environ[ADMIN_PASSWORD_ENV]
    with warnings.catch_warnings():  # loading MLflow's auth client imports its server, which warns about Starlette
        warnings.filterwarnings("ignore", message=".*starlette.middleware.wsgi")
        client = get_app_client("basic-auth", tracking_uri=uri)
    try:
        me = client.get_user(os.environ.get("MLFLOW_TRACKING_USERNAME", ""))  # every user may look themselves up
    except MlflowException as error:
        if error.get_http_status_code() == 401:
            raise access.not_authenticated(uri) from None
        if error.get_http_status_code() == 404 and "users" in str(error):  # the route itself is missing
            raise StoreError(f"the tracking server at {uri} has no users: start it with make server "
                             'ARGS="auth=true"') from None
        raise
    if not me.is_admin:
        raise StoreError(f"{access.who()} is not an admin of the tracking server at {uri}: log in as its admin "
                         f"(MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or {ADMIN_PASSWORD_ENV})")
    return client


def new_password(name: str) -> str:
    """The password of the account ``name``: ``$CHAINRULE_USER_PASSWORD``, else asked twice on the terminal."""
    password = os.environ.get(USER_PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise ConfigError(f"make user needs {name}'s password: export {USER_PASSWORD_ENV}=<at least "
                              f"{MIN_PASSWORD_LENGTH} characters> (never on the command line), or run it in a terminal")
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise ConfigError("the two passwords differ; nothing was changed")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(f"{name}'s password has {len(password)} characters; MLflow takes at least {MIN_PASSWORD_LENGTH}")
    return password


def create_user(uri: str, name: str) -> None:
    """Create the account ``name`` on the server at ``uri``; StoreError if it exists already."""
    client = as_admin(uri)
    password = new_password(name)
    try:
        client.create_user(name, password)
    except MlflowException as error:
        if error.error_code == "RESOURCE_ALREADY_EXISTS":
            raise StoreError(f"user {name!r} exists already on {uri}; grant it permissions with make grant") from None
        raise


def grant(uri: str, user: str, experiment: str, permission: str) -> str:
    """Give ``user`` ``permission`` on the experiment named ``experiment``; the experiment's id.

    Raises
    ------
    StoreError
        If the experiment or the user does not exist.
    """
    client = as_admin(uri)
    found = MlflowClient(uri).get_experiment_by_name(experiment)
    if found is None:  # MLflow would record a permission on an id that does not exist
        names = [e.name for e in MlflowClient(uri).search_experiments(max_results=50)]
        raise StoreError(f"no experiment {experiment!r} on {uri}; its experiments: {', '.join(names) or 'none'} "
                         "(a first run creates one: make run)")
    try:
        client.grant_user_permission(user, "experiment", found.experiment_id, permission)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise StoreError(f"no user {user!r} on {uri}; create it first: make user ARGS=\"name={user}\"") from None
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        # The user had a permission on it: MLflow's client changes one by taking it back first.
        client.revoke_user_permission(user, "experiment", found.experiment_id)
        client.grant_user_permission(user, "experiment", found.experiment_id, permission)
    return found.experiment_id
