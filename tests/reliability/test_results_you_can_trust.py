"""What a run reports is what the data say: the target never reaches the features, whatever the
columns are called, and no part of the split lacks a class (issue 12, lines 1–3)."""

import mlflow
import numpy as np
import pandas as pd
import pytest

from chainrule.errors import ConfigError
from chainrule.experiment import data
from chainrule.experiment import run as pipeline
from tests.conftest import ROOT

from .conftest import assert_refused_in_one_line

pytestmark = pytest.mark.slow


def noise_csv(folder, columns, target, n=1500, seed=0):
    """Random numbers in ``columns`` and a random 0/1 ``target``: nothing to learn."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.standard_normal(n) for name in columns})
    frame[target] = rng.integers(0, 2, n)
    path = folder / "noise.csv"
    frame.to_csv(path, index=False)
    return path, frame


@pytest.mark.parametrize("columns, target", [
    (["a", "b", "label"], "y"),          # the name the pipeline used to give the target
    (["label", "y"], "target"),
    (["x1", "probability", "Label"], "label"),
    (["a", "a.1", "y "], "b"),
])
def test_a_noise_target_scores_at_chance_whatever_the_columns_are_named(tmp_path, compose_config, store, columns, target):
    path, frame = noise_csv(tmp_path, columns, target)
    cfg = compose_config("dataset=csv", f"dataset.path={path}", f"dataset.target={target}", "model.hidden_width=8",
                         "train.iterations=300", "tracking.log_model=false", f"tracking.uri={store.uri}")
    pipeline.run(cfg, ROOT)
    (run,) = store.runs()
    majority = frame[target].value_counts(normalize=True).max()
    assert abs(run.data.metrics["test/accuracy"] - majority) < 0.06  # n = 300 test rows: ±3 standard errors
    assert abs(run.data.metrics["test/roc_auc"] - 0.5) < 0.1


def test_1_a_feature_named_label_stays_the_users_column_and_the_target_stays_out(tmp_path, store):
    path, frame = noise_csv(tmp_path, ["a", "b", "label"], "y", n=300)
    table = data.load(pipeline_dataset(path, "y"), 0)
    assert table.features == ["a", "b", "label"]
    np.testing.assert_array_equal(table.X, frame[["a", "b", "label"]].to_numpy())  # the user's values, not the target
    np.testing.assert_array_equal(table.y, frame["y"].to_numpy())

    store.train("dataset=csv", f"dataset.path={path}", "dataset.target=y", "train.iterations=100")
    (run,) = store.runs()
    assert run.data.metrics["test/accuracy"] < 0.75  # 1.0 when the target overwrote 'label'
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert model.metadata.get_input_schema().input_names() == ["a", "b", "label"]
    scored = model.predict(pd.read_csv(path))  # the model takes the real file, 'label' as a number
    assert len(scored) == 300 and scored["probability"].between(0, 1).all()


def pipeline_dataset(path, target, features=None):
    from omegaconf import OmegaConf

    from chainrule.experiment.schemas import CsvDatasetConfig

    return OmegaConf.merge(OmegaConf.structured(CsvDatasetConfig),  # as the pipeline composes it: every key, defaults
                           {"path": str(path), "target": target, "features": features})


def test_2_the_target_among_the_features_is_refused_by_name(tmp_path, store):
    path, _ = noise_csv(tmp_path, ["a", "b"], "label", n=300)
    result = store.train("dataset=csv", f"dataset.path={path}", "dataset.target=label", "dataset.features=[a,label]",
                         check=False)
    assert_refused_in_one_line(result, "dataset.features: lists the target 'label'", store=store)


def test_3_a_class_too_rare_for_three_parts_is_refused_with_the_counts(tmp_path, store):
    frame = pd.DataFrame({"a": np.arange(300.0), "y": [1, 1] + [0] * 298})  # 2 positives in 300 rows
    path = tmp_path / "rare.csv"
    frame.to_csv(path, index=False)
    result = store.train("dataset=csv", f"dataset.path={path}", "dataset.target=y", check=False)
    assert_refused_in_one_line(result, "300 rows cannot be split into train/val/test with every class in each part",
                               "class counts '0': 298, '1': 2", "the rarest class has 2 row(s)", store=store)


def test_3_a_split_that_leaves_a_class_out_of_a_part_is_refused_with_the_counts_per_part(tmp_path):
    table = data.Table(pd.DataFrame({"a": np.arange(300.0), "label": [1] * 3 + [0] * 297}), ["a"], "three positives")
    with pytest.raises(ConfigError) as refused:
        data.split(table, 0.1, 0.1, True, 0)  # 30 test rows: a tenth of a positive
    message = str(refused.value)
    assert "leaves a class out of val and test" in message
    assert "train: '0': 236, '1': 3; val: '0': 31, '1': 0; test: '0': 30, '1': 0" in message
    assert "raise train.test_size and train.val_size" in message
    split = data.split(table, 0.34, 0.33, True, 0)  # a third each: one positive in every part
    assert [int(split.y[part].sum()) for part in ("train", "val", "test")] == [1, 1, 1]
