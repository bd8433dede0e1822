"""dataset=csv: any CSV via pandas, two label values mapped to 0/1 or K to 0..K−1 (a softmax model), bad files explained."""

import re

import mlflow
import numpy as np
import pandas as pd
import pytest

from chainrule.errors import ConfigError
from chainrule.experiment import data
from chainrule.experiment import run as pipeline

from tests.conftest import ROOT


@pytest.fixture
def csv_file(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.standard_normal(80), "b": rng.standard_normal(80), "note": "x"})
    frame["outcome"] = np.where(frame["a"] + frame["b"] > 0, "yes", "no")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_csv_trains_end_to_end_and_records_the_label_mapping(csv_file, store, compose_config):
    cfg = compose_config(
        "dataset=csv", f"dataset.path={csv_file}", "dataset.target=outcome", "dataset.features=[a,b]",
        "train.iterations=30", "tracking.log_model=false", f"tracking.uri={store.uri}",
    )
    pipeline.run(cfg, ROOT)
    (run,) = store.runs()
    assert run.info.status == "FINISHED"
    mapping = store.client.download_artifacts(run.info.run_id, "label_mapping.json", str(store.folder))
    assert pd.read_json(mapping, typ="series").to_dict() == {0: "no", 1: "yes"}


@pytest.mark.slow
def test_a_three_class_csv_trains_a_softmax_model_that_predicts_the_original_labels(tmp_path, store, compose_config):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.standard_normal(150), "b": rng.standard_normal(150)})
    frame["kind"] = np.select([frame["a"] > 0.4, frame["b"] > 0], ["high", "mid"], "low")
    path = tmp_path / "kinds.csv"
    frame.to_csv(path, index=False)
    overrides = ["dataset=csv", f"dataset.path={path}", "dataset.target=kind", "model.hidden_width=8", "train.iterations=300",
                 "train.lr=0.5"]
    pipeline.run(compose_config(*overrides, f"tracking.uri={store.uri}"), ROOT)

    (run,) = store.runs()
    assert run.info.status == "FINISHED"
    mapping = store.client.download_artifacts(run.info.run_id, "label_mapping.json", str(store.folder))
    assert pd.read_json(mapping, typ="series").to_dict() == {0: "high", 1: "low", 2: "mid"}
    metrics = run.data.metrics
    assert {"test/f1_macro", "test/precision_weighted", "test/roc_auc", "test/recall/high", "test/recall/mid"} <= set(metrics)
    assert "test/brier" not in metrics and metrics["test/accuracy"] > 0.8
    confusion = store.client.download_artifacts(run.info.run_id, "confusion_matrix.json", str(store.folder))
    assert np.array(pd.read_json(confusion)["test"].tolist()).shape == (3, 3)

    cfg = compose_config(*overrides)
    splits, model = pipeline.prepare(cfg)
    pipeline.train(cfg, model, splits)
    predicted = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model").predict(splits.raw["test"][["a", "b"]])
    assert list(predicted.columns) == ["probability_high", "probability_low", "probability_mid", "label"]
    np.testing.assert_array_equal(predicted.iloc[:, :3].to_numpy(), model.predict_proba(splits.X["test"]))
    expected = np.array(["high", "low", "mid"], dtype=object)[model.predict(splits.X["test"])]
    np.testing.assert_array_equal(predicted["label"].to_numpy(), expected)


def load_csv(tmp_path, text, target="y", features=None):
    path = tmp_path / "f.csv"
    path.write_text(text)
    return data._read_csv(str(path), target, features)


@pytest.mark.parametrize(
    "text, target, message",
    [
        ("", "y", "cannot read"),
        ("a,y\n1,0\n2,1\n", "label", "dataset.target: column 'label' not in"),
        ("a,y\n1,0\n2,0\n", "y", "must hold 2 to 50 distinct values (the classes) and no blanks; got 1 value(s) ['0']: "
         "a classifier needs at least two"),
        ("a,y\n" + "".join(f"{i},{i / 7:.3f}\n" for i in range(60)), "y",
         "got 60 value(s) ['0.0', '0.143', '0.286', '0.429', '0.571', '0.714', '0.857', '1.0', '1.143', '1.286', '…']: "
         "more than dataset.max_classes=50: a continuous column named as the target by mistake? (raise dataset.max_classes if not)"),
        ("a,y\n1,0\n2,\n3,1\n", "y", "has 1 blank(s), first at row 1 (line 3 of the file); every row needs a label"),
        ("a,y\n1,0\nabc,1\n", "y", "column 'a' of"),
        ("a,y\n1,0\ninf,1\n", "y", "row 1 (line 3 of the file) holds inf"),
    ],
)
def test_bad_csv_files_name_the_column_and_row(tmp_path, text, target, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_csv(tmp_path, text, target)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=re.escape(f"dataset.path: no such file '{tmp_path / 'nope.csv'}'")):
        data._read_csv(str(tmp_path / "nope.csv"), "y", None)


def test_too_few_rows_for_a_stratified_split_is_explained(tmp_path):
    table = load_csv(tmp_path, "a,y\n1,0\n2,1\n3,0\n")
    with pytest.raises(ConfigError, match="3 rows cannot be split into train/val/test"):
        data.split(table, 0.2, 0.2, True, 0)
