"""The backend store URI make server is given: passwords never printed, PostgreSQL on the pinned driver."""

import pytest

from chainrule.tracking.postgres import with_pinned_driver
from chainrule.tracking.server_backend import masked_uri


@pytest.mark.parametrize(("uri", "shown"), [
    ("postgresql://mlflow:s3cret@db.example:5432/mlflow", "postgresql://mlflow:***@db.example:5432/mlflow"),
    ("postgresql+psycopg2://mlflow:p%40ss%2Fword@db/mlflow?sslmode=require",
     "postgresql+psycopg2://mlflow:***@db/mlflow?sslmode=require"),
    ("postgresql://mlflow@db/mlflow", "postgresql://mlflow@db/mlflow"),
    ("sqlite:////srv/mlruns/mlflow.db", "sqlite:////srv/mlruns/mlflow.db"),
    ("http://127.0.0.1:5050", "http://127.0.0.1:5050"),
])
def test_a_uri_is_shown_without_its_password(uri, shown):
    assert masked_uri(uri) == shown


def test_a_bare_postgresql_uri_names_the_pinned_driver_and_keeps_everything_else():
    uri = "postgresql://mlflow:p%40ss@db:5432/mlflow?sslmode=require"
    assert with_pinned_driver(uri) == "postgresql+psycopg2://mlflow:p%40ss@db:5432/mlflow?sslmode=require"


@pytest.mark.parametrize("uri", ["postgresql+pg8000://mlflow@db/mlflow", "sqlite:////srv/mlruns/mlflow.db"])
def test_a_uri_that_names_its_driver_or_is_not_postgresql_is_left_alone(uri):
    assert with_pinned_driver(uri) == uri
