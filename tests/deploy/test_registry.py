"""MLflow's Model Registry: a sweep registers its best child as a new version of
``chainrule-<dataset>`` and moves the alias ``champion`` to it only when it beats the holder;
``make promote`` registers a run of the user's choosing and moves the alias by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from chainrule.deploy import registry
from chainrule.errors import ConfigError
from chainrule.sweeps.summary import best_child
from tests.conftest import Store, fault_injection_env

from .conftest import assert_refused, run_pipeline, sweep

pytestmark = pytest.mark.slow
NAME = "chainrule-moons"
SMALL = ["model.hidden_width=3", "figures=sweep"]  # the light views: the registry is what is tested


def objective(run) -> float:
    return run.data.metrics["val/log_loss"]  # conf/config.yaml's objective: lower is better


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Three sweeps into one store, in order: a first, a worse and a better one; each with the
    version that held the alias once it had ended."""
    store = Store(tmp_path_factory.mktemp("registry"))
    steps = []
    for overrides in (["train.lr=0.1,0.5", "train.iterations=40"], ["train.lr=0.01", "train.iterations=40"],
                      ["train.lr=1.0", "train.iterations=400"]):
        parent, children = sweep(store, *SMALL, *overrides)
        steps.append((parent, children, store.client.get_model_version_by_alias(NAME, "champion")))
    return store, *steps


def versions(store, name=NAME):
    return {str(v.version): v for v in store.client.search_model_versions(f"name='{name}'")}


def test_the_first_sweep_registers_its_best_child_as_the_first_champion(history):
    store, (parent, children, champion), _, _ = history
    best = min(children, key=objective)
    assert (str(champion.version), champion.run_id) == ("1", best.info.run_id)
    assert champion.source == f"models:/{registry.logged_model_id(best)}"  # the logged model itself
    assert champion.tags == {
        "chainrule.sweep": parent.info.run_name, "chainrule.sweep_run_id": parent.info.run_id,
        "chainrule.run_name": best.info.run_name, "chainrule.objective": "val/log_loss",
        "chainrule.objective_value": repr(objective(best)),
    }
    tags = parent.data.tags
    assert (tags["chainrule.registered_model"], tags["chainrule.registered_version"], tags["chainrule.champion"]) == (
        NAME, "1", "true")
    assert "the first champion" in tags["chainrule.champion_reason"]


def test_a_worse_sweep_adds_a_version_and_leaves_the_champion_where_it_was(history):
    store, (_, first, _), (parent, (child,), champion), _ = history
    assert objective(child) > min(map(objective, first))  # the setting: this sweep is worse
    assert versions(store)["2"].run_id == child.info.run_id and str(champion.version) == "1"
    tags = parent.data.tags
    assert (tags["chainrule.registered_version"], tags["chainrule.champion"]) == ("2", "false")
    assert "does not beat champion v1" in tags["chainrule.champion_reason"]


def test_a_better_sweep_takes_the_alias(history):
    store, (_, first, _), _, (parent, (child,), champion) = history
    assert objective(child) < min(map(objective, first))  # the setting: this sweep is better
    assert (str(champion.version), champion.run_id) == ("3", child.info.run_id)
    tags = parent.data.tags
    assert tags["chainrule.champion"] == "true" and "beats champion v1" in tags["chainrule.champion_reason"]
    assert set(versions(store)) == {"1", "2", "3"}
    model = store.client.get_registered_model(NAME)
    assert {alias: str(version) for alias, version in model.aliases.items()} == {"champion": "3"}


def test_the_champion_loads_by_its_alias_and_predicts_as_its_run_does(history):
    import mlflow

    store, _, _, (_, (child,), _) = history
    store.client  # noqa: B018 - points mlflow at the store
    frame = pd.DataFrame(np.random.default_rng(0).standard_normal((10, 2)), columns=["x1", "x2"])
    by_alias = mlflow.pyfunc.load_model(f"models:/{NAME}@champion").predict(frame)
    by_run = mlflow.pyfunc.load_model(f"runs:/{child.info.run_id}/model").predict(frame)
    pd.testing.assert_frame_equal(by_alias, by_run)


def test_registry_enabled_false_registers_nothing_and_registry_name_chooses_the_model(history):
    store, *_ = history
    off, _ = sweep(store, *SMALL, "registry.enabled=false", "train.lr=2.0", "train.iterations=400")
    assert not any(key.startswith("chainrule.regist") for key in off.data.tags)
    assert set(versions(store)) == {"1", "2", "3"}
    named, _ = sweep(store, *SMALL, "registry.name=team-moons", "train.lr=0.5", "train.iterations=20")
    assert named.data.tags["chainrule.registered_model"] == "team-moons"
    assert str(store.client.get_model_version_by_alias("team-moons", "champion").version) == "1"


def children_table(rows):
    return pd.DataFrame(rows, columns=["run_id", "status", "metrics.val/log_loss", "tags.mlflow.runName"])


def test_failed_killed_and_diverged_children_never_qualify_as_the_best():
    children = children_table([
        ("failed", "FAILED", 0.01, "a"), ("killed", "KILLED", 0.02, "b"),
        ("diverged", "FINISHED", math.nan, "c"), ("worst", "FINISHED", 0.9, "d"), ("best", "FINISHED", 0.3, "e"),
    ])
    assert best_child(children, "val/log_loss")["run_id"] == "best"
    assert best_child(children.iloc[:3], "val/log_loss") is None
    scores = children.rename(columns={"metrics.val/log_loss": "metrics.val/accuracy"})
    assert best_child(scores, "val/accuracy")["run_id"] == "worst"  # scores are maximised


def test_a_sweep_whose_children_all_failed_registers_nothing(tmp_path):
    store = Store(tmp_path)
    parent, _ = sweep(store, *SMALL, "train.lr=0.3", "train.iterations=20", check=False,
                      env_extra=fault_injection_env(tmp_path / "fault", 0.3))
    assert "nothing registered" in parent.data.tags["chainrule.registry"]
    assert store.client.search_registered_models() == []


# -- make promote ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A store with a finished run, a failed one and one that logged no model."""
    store = Store(tmp_path_factory.mktemp("promote"))
    store.train(*SMALL, "train.lr=0.5", "train.iterations=20")
    (finished,) = store.runs()
    store.train(*SMALL, "train.lr=0.4", check=False, env_extra=fault_injection_env(store.folder / "fault", 0.4))
    store.train(*SMALL, "tracking.log_model=false", "train.iterations=20")
    by_status = {(r.info.status, registry.logged_model_id(r) is not None): r for r in store.runs()}
    return store, finished, by_status[("FAILED", False)], by_status[("FINISHED", False)]


def test_make_promote_registers_a_run_and_makes_it_the_champion(runs):
    store, finished, _, _ = runs
    result = run_pipeline("promote", store.uri, f"run={finished.info.run_id}")
    assert result.returncode == 0, result.stderr
    assert f"as {NAME} version 1" in result.stdout and f"models:/{NAME}@champion" in result.stdout
    champion = store.client.get_model_version_by_alias(NAME, "champion")
    assert champion.run_id == finished.info.run_id and champion.tags["chainrule.promoted"] == "by hand"

    again = run_pipeline("promote", store.uri, "run=latest", "name=by-hand")  # the newest finished run with a model
    assert again.returncode == 0, again.stderr
    assert store.client.get_model_version_by_alias("by-hand", "champion").run_id == finished.info.run_id


@pytest.mark.parametrize("which, fragments", [
    ("failed", ["is FAILED", "only a FINISHED run's model is promoted"]),
    ("no_model", ["logged no model", "tracking.log_model=false"]),
    ("missing", ["no run 'abc123'"]),
])
def test_promote_refuses_a_run_it_cannot_promote_and_registers_nothing(runs, which, fragments):
    store, _, failed, no_model = runs
    before = {(v.name, v.version) for v in store.client.search_model_versions()}
    run_id = {"failed": failed.info.run_id, "no_model": no_model.info.run_id, "missing": "abc123"}[which]
    with pytest.raises(ConfigError) as refused:
        registry.promotable(store.client, run_id)  # make promote's check, before it registers anything
    for fragment in ["run: ", *fragments]:
        assert fragment in str(refused.value), refused.value
    assert {(v.name, v.version) for v in store.client.search_model_versions()} == before


def test_make_promote_refuses_in_one_line_and_registers_nothing(runs):
    store, _, failed, _ = runs
    before = {(v.name, v.version) for v in store.client.search_model_versions()}
    assert_refused(run_pipeline("promote", store.uri), "promote: ", "which run's model to promote?", "run=latest")
    assert_refused(run_pipeline("promote", store.uri, f"run={failed.info.run_id}"), "promote: run: ", "is FAILED")
    assert {(v.name, v.version) for v in store.client.search_model_versions()} == before
