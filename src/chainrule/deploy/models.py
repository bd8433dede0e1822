"""Which model ``make serve`` and ``make predict`` use: ``model=`` (any MLflow model URI), else the
champion of the registered model ``name`` — refused in one line when there is none yet."""

from __future__ import annotations

from mlflow import MlflowClient

from chainrule.deploy import registry
from chainrule.errors import ConfigError
from chainrule.tracking.uris import masked


def chosen(client: MlflowClient, model: str | None, name: str) -> str:
    """The model URI to use: ``model`` as given, or ``models:/<name>@champion`` once a version holds the alias.

    Raises
    ------
    ConfigError
        No version of ``name`` holds the alias yet: what to run to make one.
    """
    if model:
        return model
    if registry.champion(client, name) is None:
        raise ConfigError(
            f"no champion yet: no version of the registered model {name!r} holds the alias {registry.CHAMPION!r} in {masked(client.tracking_uri)}; "
            f"a sweep registers its best child (make sweep), make promote ARGS=\"run=<run id>\" registers a run of yours; "
            f"or choose a model: name=<registered model> or model=<model URI, e.g. runs:/<run id>/model>"
        )
    return registry.champion_uri(name)


def feature_names(model_uri: str) -> list[str]:
    """The input columns the model's signature names (its MLmodel file only: nothing is loaded).

    Raises
    ------
    ConfigError
        The URI leads to no model, or to one without a signature.
    """
    import mlflow

    try:
        info = mlflow.models.get_model_info(model_uri)
    except Exception as error:  # noqa: BLE001 - MLflow raises many kinds here; each says what was wrong
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(f"model: cannot open {model_uri!r}: {detail}") from None
    if info.signature is None or not info.signature.inputs.has_input_names():
        raise ConfigError(f"model: {model_uri!r} has no signature naming its input columns")
    return info.signature.inputs.input_names()
