"""K classes and Playground's inputs: the datasets, the scores, the logged model, the feature crosses."""

import re

import mlflow
import numpy as np
import pytest
from omegaconf import OmegaConf

from chainrule.errors import ConfigError
from chainrule.experiment import data, metrics
from chainrule.experiment import run as pipeline
from chainrule.model.weights import Predictor

from tests.conftest import ROOT, artifact_paths


@pytest.mark.parametrize(
    "dataset, shape, labels",
    [
        ({"name": "iris"}, (150, 4), ["setosa", "versicolor", "virginica"]),
        ({"name": "wine"}, (178, 13), ["class_0", "class_1", "class_2"]),
        ({"name": "digits"}, (1797, 64), [str(k) for k in range(10)]),
        ({"name": "blobs", "n_samples": 200, "noise": 1.0, "n_classes": 4}, (200, 2), ["0", "1", "2", "3"]),
        ({"name": "spiral", "n_samples": 300, "noise": 0.1, "n_classes": 5}, (300, 2), ["0", "1", "2", "3", "4"]),
    ],
)
def test_the_multiclass_datasets_load_with_their_classes(dataset, shape, labels):
    table = data.load(OmegaConf.create(dataset), seed=0)
    assert table.X.shape == shape and list(table.label_names.values()) == labels
    assert sorted(np.unique(table.y)) == list(range(len(labels)))


@pytest.mark.parametrize("option", ["iris", "wine", "digits", "blobs", "spiral", "breast_cancer"])
def test_every_dataset_option_composes_and_passes_the_checks(option, compose_config):
    from chainrule.experiment.checks import validate

    cfg = compose_config(f"dataset={option}")
    assert cfg.dataset.name == option
    validate(cfg)


def test_spiral_arms_share_the_points_evenly_and_wind_around_the_origin():
    table = data.load(OmegaConf.create({"name": "spiral", "n_samples": 600, "noise": 0.0, "n_classes": 3}), seed=0)
    assert np.bincount(table.y).tolist() == [200, 200, 200]
    radius = np.hypot(*table.X.T)
    assert radius.max() <= 5 and np.corrcoef(radius, table.y)[0, 1] ** 2 < 0.01  # every arm spans every radius


def test_a_k_class_run_records_macro_and_weighted_scores_and_each_classs_recall():
    y = np.array([0, 1, 2, 2, 1, 0])
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.1, 0.6, 0.3], [0.3, 0.4, 0.3], [0.5, 0.3, 0.2]])
    scores = metrics.scores(y, proba, {0: "cat", 1: "dog", 2: "emu?"})
    assert set(scores) == set(metrics.MULTICLASS) | {"recall/cat", "recall/dog", "recall/emu_"}
    assert scores["accuracy"] == 5 / 6 and scores["recall/emu_"] == 0.5 and scores["recall/dog"] == 1.0
    assert set(metrics.recorded(3)) == {f"{s}/{n}" for s in metrics.SPLITS for n in metrics.MULTICLASS}


def test_an_objective_a_k_class_run_does_not_record_is_refused_before_any_run(compose_config, store):
    cfg = compose_config("dataset=iris", "objective=test/brier", f"tracking.uri={store.uri}")
    with pytest.raises(ConfigError, match=re.escape("objective: a 3-class run on iris does not record 'test/brier'; it records")):
        pipeline.run(cfg, ROOT)
    assert store.runs() == []


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["dataset=circles", "dataset.features=[x1,x3]"], "dataset.features must list distinct input features of the 2-D data "
         "among x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2); got ['x1', 'x3'] (unknown ['x3'])"),
        (["dataset=circles", "dataset.features=[x1,x1]"], "got ['x1', 'x1'] (a repeated one)"),
        (["dataset=moons", "dataset.features=[]"], "got [] (none)"),
        (["dataset=blobs", "dataset.n_classes=1"], "dataset.n_classes must be a whole number in [2, 100]; got 1"),
        (["dataset=csv", "dataset.path=x.csv", "dataset.target=y", "dataset.max_classes=1"],
         "dataset.max_classes must be a whole number in [2, 1000000]; got 1"),
    ],
)
def test_bad_dataset_settings_are_refused_before_any_run(overrides, message, compose_config, store):
    with pytest.raises(ConfigError, match=re.escape(message)):
        pipeline.run(compose_config(*overrides, f"tracking.uri={store.uri}"), ROOT)
    assert store.runs() == []


def test_feature_crosses_are_computed_from_the_raw_points_by_the_logged_models_own_code(compose_config):
    cfg = compose_config("dataset=circles", 'dataset.features=[x1,"x1^2","x1*x2","sin(x2)"]')
    splits = data.splits_for(cfg)
    raw = splits.raw["test"][["x1", "x2"]].to_numpy()
    assert splits.inputs == ["x1", "x1^2", "x1*x2", "sin(x2)"] and splits.X["test"].shape == (100, 4)
    expected = np.column_stack([raw[:, 0], raw[:, 0] ** 2, raw[:, 0] * raw[:, 1], np.sin(raw[:, 1])])
    np.testing.assert_allclose(splits.scaler.inverse_transform(splits.X["test"]), expected, rtol=1e-12, atol=1e-15)
    predictor = Predictor.from_parts(None, ["x1", "x2"], splits.scaler, derived=splits.derived)
    np.testing.assert_array_equal(predictor.model_inputs(raw), splits.X["test"])  # what the model sees, bit for bit


@pytest.mark.slow
def test_a_plain_logistic_model_fits_circles_only_with_the_squares_among_its_inputs(compose_config, store):
    accuracy = {}
    for features in ("null", '[x1,x2,"x1^2","x2^2"]'):
        cfg = compose_config("dataset=circles", "model=logistic", f"dataset.features={features}", "train.lr=0.5",
                             "train.iterations=500", f"tracking.uri={store.uri}")
        pipeline.run(cfg, ROOT)
        (run,) = [r for r in store.runs() if r.data.params["dataset.features"] == ("None" if features == "null" else
                                                                                    "['x1', 'x2', 'x1^2', 'x2^2']")]
        accuracy[features] = run.data.metrics["test/accuracy"]
    assert accuracy["null"] <= 0.7 and accuracy['[x1,x2,"x1^2","x2^2"]'] >= 0.95


@pytest.mark.slow
def test_a_digits_run_with_two_hidden_layers_and_adam_records_everything_and_its_model_reproduces_the_core(
        compose_config, store):
    overrides = ["dataset=digits", "model.hidden_widths=[64,32]", "optimizer=adam", "train.lr=0.001", "train.iterations=150"]
    store.train(*overrides)

    (run,) = store.runs()
    assert run.info.status == "FINISHED" and run.info.run_name == "mlp-w64x32-relu-adam-lr0.001-digits"
    expected = {f"{split}/{name}" for split in metrics.SPLITS for name in metrics.MULTICLASS}
    expected |= {f"{split}/recall/{k}" for split in metrics.SPLITS for k in range(10)}
    assert expected <= set(run.data.metrics) and run.data.metrics["test/accuracy"] > 0.9
    paths = artifact_paths(store.client, run.info.run_id)
    assert {"figures/loss_curve.png", "figures/roc_curve.png", "figures/confusion_matrix.png"} <= set(paths)
    assert "figures/decision_boundary.png" not in paths  # 64 features: no plane to draw

    cfg = compose_config(*overrides)
    splits, model = pipeline.prepare(cfg)
    pipeline.train(cfg, model, splits)
    predicted = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model").predict(splits.raw["test"][splits.table.features])
    assert list(predicted.columns) == [f"probability_{k}" for k in range(10)] + ["label"]
    np.testing.assert_array_equal(predicted.iloc[:, :10].to_numpy(), model.predict_proba(splits.X["test"]))
    np.testing.assert_array_equal(predicted["label"].to_numpy().astype(int), model.predict(splits.X["test"]))


@pytest.mark.slow
def test_a_sweep_on_k_class_data_gets_every_comparison_figure(store):
    # two widths at one learning rate; the heat map (two swept keys) pivots a score and knows no classes
    store.train("-m", "dataset=blobs", "dataset.n_samples=200", "model.hidden_width=2,4", "train.iterations=20")
    runs = store.runs()
    (parent,) = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    assert parent.info.status == "FINISHED" and parent.data.tags["chainrule.failed_children"] == "0"
    assert "chainrule.figures_error" not in parent.data.tags
    paths = set(artifact_paths(store.client, parent.info.run_id))
    assert {"figures/loss_comparison.png", "figures/width_comparison.png", "figures/width_boundaries.png"} <= paths
