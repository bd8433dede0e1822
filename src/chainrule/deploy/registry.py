"""MLflow's Model Registry: a run's model as a new version of a registered model, and the alias
``champion`` moved to it when it beats the version that holds it.

A sweep registers its best child when it ends (:func:`register_best`, called by
:class:`chainrule.sweeps.callback.MlflowSweep`); ``make promote`` registers any finished run's
model and moves the alias by hand (:func:`promote`). ``models:/<name>@champion`` then loads the
current best, for ``make serve`` and ``make predict``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.entities import Run
from mlflow.exceptions import MlflowException

from chainrule.errors import ConfigError
from chainrule.tracking.uris import masked

CHAMPION = "champion"
"""The alias of the version that is the best so far."""


@dataclass(frozen=True)
class Registration:
    """What was registered: version ``version`` of ``name``, and whether it took the alias (``reason``: why)."""

    name: str
    version: str
    champion: bool
    reason: str

    def tags(self) -> dict[str, str]:
        """The tags that say so on the run that asked for it (a sweep's parent run)."""
        return {"chainrule.registered_model": self.name, "chainrule.registered_version": self.version,
                "chainrule.champion": str(self.champion).lower(), "chainrule.champion_reason": self.reason}


def default_name(dataset: str) -> str:
    """The registered model a run of ``dataset`` goes to unless ``registry.name`` says otherwise."""
    return f"chainrule-{dataset}"


def champion_uri(name: str) -> str:
    return f"models:/{name}@{CHAMPION}"


def logged_model_id(run: Run) -> str | None:
    """The id of the model ``run`` logged (MLflow 3 links it in the run's outputs), or None."""
    outputs = run.outputs.model_outputs if run.outputs else []
    return outputs[-1].model_id if outputs else None


def champion(client: MlflowClient, name: str):
    """The version of ``name`` that holds :data:`CHAMPION`, or None (no such model, or no holder)."""
    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as error:
        if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def _register(client: MlflowClient, run: Run, name: str, tags: dict[str, str]):
    model_id = logged_model_id(run)
    try:
        client.create_registered_model(name, description="chainrule models; the alias 'champion' marks the best so far")
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
    return client.create_model_version(name, source=f"models:/{model_id}", run_id=run.info.run_id,
                                       tags=tags, model_id=model_id)


def register_best(client: MlflowClient, best: Run, name: str, objective: str, minimize: bool,
                  sweep: Run) -> Registration:
    """Register ``best`` (a sweep's best child) as a new version of ``name``; move :data:`CHAMPION`
    to it only if its ``objective`` beats the holder's (read from the holder's run), or none holds it.

    The version is tagged with the sweep, the objective and its value. Ties keep the holder.
    """
    value = best.data.metrics[objective]
    version = _register(client, best, name, {
        "chainrule.sweep": sweep.info.run_name, "chainrule.sweep_run_id": sweep.info.run_id,
        "chainrule.run_name": best.info.run_name, "chainrule.objective": objective,
        "chainrule.objective_value": repr(value),
    })
    holder = champion(client, name)
    here = f"v{version.version} ({objective} {value:.6g})"
    if holder is None:
        took, reason = True, f"{here}: the first champion of {name}"
    else:
        theirs = client.get_run(holder.run_id).data.metrics.get(objective) if holder.run_id else None
        if theirs is None or math.isnan(theirs):
            took, reason = False, (f"{here} kept out: champion v{holder.version} has no {objective} to compare; "
                                   f"make promote moves the alias by hand")
        elif (value < theirs) if minimize else (value > theirs):
            took, reason = True, f"{here} beats champion v{holder.version} ({theirs:.6g})"
        else:
            took, reason = False, f"{here} does not beat champion v{holder.version} ({theirs:.6g})"
    if took:
        client.set_registered_model_alias(name, CHAMPION, version.version)
    return Registration(name, version.version, took, reason)


def promotable(client: MlflowClient, run_id: str) -> Run:
    """The run ``run_id``, if its model may be promoted: FINISHED, with a logged model.

    Raises
    ------
    ConfigError
        No such run, a run not FINISHED (a FAILED or KILLED run's model is never promoted), or one
        without a model (``tracking.log_model=false``, or training diverged).
    """
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise ConfigError(f"run: no run {run_id!r} in {masked(client.tracking_uri)}") from None
    if run.info.status != "FINISHED":
        raise ConfigError(f"run: {run_id} ({run.info.run_name}) is {run.info.status}; only a FINISHED run's model "
                          "is promoted")
    if logged_model_id(run) is None:
        why = "it diverged" if run.data.tags.get("chainrule.diverged") == "true" else "it ran with tracking.log_model=false"
        raise ConfigError(f"run: {run_id} ({run.info.run_name}) logged no model ({why}); nothing to register")
    return run


def promote(client: MlflowClient, run: Run, name: str) -> Registration:
    """Register ``run``'s model as a new version of ``name`` and move :data:`CHAMPION` to it, whatever it held."""
    objective = run.data.params.get("objective")
    tags = {"chainrule.promoted": "by hand", "chainrule.run_name": run.info.run_name}
    if objective in run.data.metrics:
        tags |= {"chainrule.objective": objective, "chainrule.objective_value": repr(run.data.metrics[objective])}
    holder = champion(client, name)
    version = _register(client, run, name, tags)
    client.set_registered_model_alias(name, CHAMPION, version.version)
    before = f"from v{holder.version}" if holder is not None else "(the first champion)"
    return Registration(name, version.version, True, f"v{version.version} made champion by hand {before}")


def latest_run(client: MlflowClient, experiment: str) -> str:
    """The id of the newest FINISHED run of ``experiment`` that logged a model (``run=latest``)."""
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        for run in client.search_runs([found.experiment_id], "attributes.status = 'FINISHED'",
                                      order_by=["attributes.start_time DESC"], max_results=100):
            if logged_model_id(run) is not None:
                return run.info.run_id
    raise ConfigError(f"run=latest: no finished run with a model in experiment {experiment!r} of {masked(client.tracking_uri)}; "
                      "train one first (make run)")
