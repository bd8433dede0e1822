"""make predict: a model applied to a CSV read the way training reads one — feature columns by
name in any order, every other column passed through, the target column scored — written whole
or not at all."""

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import accuracy_score, log_loss

from chainrule.deploy import registry
from chainrule.deploy.predictions import PROGRESS_ROWS, predict_file
from chainrule.errors import ConfigError
from chainrule.experiment import checks, schemas
from chainrule.runtime.cli import compose
from tests.conftest import ROOT, Store

from .conftest import assert_refused, run_pipeline

pytestmark = pytest.mark.slow
LABELS = ["cat", "dog", "emu"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A moons run (the champion of chainrule-moons) and a 3-class run on a CSV with string labels."""
    folder = tmp_path_factory.mktemp("predict")
    X, y = make_blobs(300, centers=3, n_features=3, random_state=0)
    pd.DataFrame(X, columns=["a", "b", "c"]).assign(animal=np.array(LABELS)[y]).to_csv(folder / "animals.csv", index=False)
    store = Store(folder)
    store.train("model.hidden_width=3", "train.lr=0.5", "train.iterations=30", "figures=sweep")
    store.train("dataset=csv", f"dataset.path={folder / 'animals.csv'}", "dataset.target=animal",
                "model.hidden_width=4", "train.iterations=50", "figures=sweep")
    animals, moons = store.runs()  # newest first
    registry.promote(store.client, moons, "chainrule-moons")
    return store, f"runs:/{moons.info.run_id}/model", f"runs:/{animals.info.run_id}/model"


def moons_file(path, n=200, labelled=True):
    """New moons in a CSV: the features in another order, an id to pass through, and (``labelled``)
    the target column under the name it had in training, ``label``."""
    X, y = make_moons(n, noise=0.2, random_state=3)
    table = pd.DataFrame({"x2": X[:, 1], "id": np.arange(n), "x1": X[:, 0]})
    if labelled:
        table["label"] = y
    table.to_csv(path, index=False)
    return table


def test_every_row_and_column_comes_back_with_the_models_probability_and_label(trained, tmp_path):
    store, moons, _ = trained
    table = moons_file(tmp_path / "new.csv", labelled=False)
    result = predict_file(moons, str(tmp_path / "new.csv"), str(tmp_path / "out.csv"))
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["x2", "id", "x1", "probability", "label"] and result.rows == 200
    assert result.target is None and result.scores == {}
    pd.testing.assert_frame_equal(out[table.columns], table)
    expected = mlflow.pyfunc.load_model(moons).predict(table[["x1", "x2"]])
    np.testing.assert_allclose(out["probability"], expected["probability"], rtol=1e-15)  # through the CSV's text
    assert out["label"].tolist() == expected["label"].tolist()


def test_the_target_column_is_kept_and_scored_as_scikit_learn_scores_it(trained, tmp_path):
    _, moons, _ = trained
    table = moons_file(tmp_path / "new.csv")
    result = predict_file(moons, str(tmp_path / "new.csv"), str(tmp_path / "out.csv"))
    out = pd.read_csv(tmp_path / "out.csv")
    assert result.target == "label"  # the training target's name, so the prediction is predicted_label
    assert list(out.columns) == ["x2", "id", "x1", "label", "probability", "predicted_label"]
    pd.testing.assert_series_equal(out["label"], table["label"])
    assert result.scores["accuracy"] == accuracy_score(table["label"], out["predicted_label"])
    assert result.scores["log_loss"] == pytest.approx(log_loss(table["label"], out["probability"]), rel=1e-12)


def test_a_k_class_model_writes_one_probability_per_class_and_scores_string_labels(trained, tmp_path):
    _, _, animals = trained
    X, y = make_blobs(60, centers=3, n_features=3, random_state=0)
    table = pd.DataFrame(X, columns=["c", "b", "a"]).assign(animal=np.array(LABELS)[y])
    table.to_csv(tmp_path / "zoo.csv", index=False)
    result = predict_file(animals, str(tmp_path / "zoo.csv"), str(tmp_path / "out.csv"))
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["c", "b", "a", "animal", "probability_cat", "probability_dog", "probability_emu", "label"]
    np.testing.assert_allclose(out[[f"probability_{n}" for n in LABELS]].sum(axis=1), 1.0, rtol=1e-12)
    assert result.scores["accuracy"] == accuracy_score(table["animal"], out["label"])


def test_a_column_named_like_an_output_is_kept_and_the_output_gets_a_prefix(trained, tmp_path):
    _, moons, _ = trained
    table = moons_file(tmp_path / "new.csv", labelled=False).assign(probability="theirs")
    table.to_csv(tmp_path / "new.csv", index=False)
    predict_file(moons, str(tmp_path / "new.csv"), str(tmp_path / "out.csv"))
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["x2", "id", "x1", "probability", "predicted_probability", "label"]
    assert out["probability"].eq("theirs").all()


def test_a_long_file_shows_a_progress_bar_and_a_short_one_does_not(trained, tmp_path, capsys):
    _, moons, _ = trained
    moons_file(tmp_path / "short.csv", 1_000)
    predict_file(moons, str(tmp_path / "short.csv"), str(tmp_path / "short-out.csv"))
    assert "rows" not in capsys.readouterr().err
    moons_file(tmp_path / "long.csv", PROGRESS_ROWS + 1)
    result = predict_file(moons, str(tmp_path / "long.csv"), str(tmp_path / "long-out.csv"), chunk_rows=30_000)
    bar = capsys.readouterr().err
    assert result.rows == PROGRESS_ROWS + 1 and "100%" in bar and "100k/100k" in bar


@pytest.mark.parametrize("change, fragments", [
    (lambda t: t.drop(columns="x1"), ["input: column 'x1' not in", "['x2', 'id', 'label']"]),
    (lambda t: t.astype({"x2": object}).assign(x2=lambda f: f["x2"].where(f.index != 170, "ten")),
     ["column 'x2'", "row 170 (line 172 of the file)", "'ten'"]),
    (lambda t: t.astype({"label": object}).assign(label=lambda f: f["label"].where(f.index != 150, "2")),
     ["target column 'label'", "row 150 (line 152 of the file)", "holds 2", "labels ['0', '1']"]),
], ids=["missing-column", "a-word-in-a-number-column", "an-unknown-label"])
def test_a_bad_file_is_refused_naming_what_and_where_and_an_earlier_output_is_untouched(trained, tmp_path, change,
                                                                                       fragments):
    _, moons, _ = trained
    change(moons_file(tmp_path / "new.csv")).to_csv(tmp_path / "new.csv", index=False)
    (tmp_path / "out.csv").write_text("an earlier output\n")
    with pytest.raises(ConfigError) as refused:
        predict_file(moons, str(tmp_path / "new.csv"), str(tmp_path / "out.csv"), chunk_rows=64)  # late rows: a later chunk
    for fragment in fragments:
        assert fragment in str(refused.value), refused.value
    assert (tmp_path / "out.csv").read_text() == "an earlier output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv", "out.csv"]  # no partial file


def test_make_predict_uses_the_champion_and_prints_what_it_wrote_and_the_scores(trained, tmp_path):
    store, _, _ = trained
    moons_file(tmp_path / "new.csv")
    result = run_pipeline("predict", store.uri, f"input={tmp_path / 'new.csv'}", f"output={tmp_path / 'out.csv'}")
    assert result.returncode == 0, result.stderr
    assert f"wrote 200 rows to {tmp_path / 'out.csv'} with models:/chainrule-moons@champion" in result.stdout
    assert "scored against column 'label': accuracy " in result.stdout


def test_make_predict_with_a_model_uri_and_its_refusals(trained, tmp_path):
    store, _, animals = trained
    moons_file(tmp_path / "new.csv")
    paths = [f"input={tmp_path / 'new.csv'}", f"output={tmp_path / 'out.csv'}"]
    assert_refused(run_pipeline("predict", store.uri, *paths, f"model={animals}"), "predict: input: column 'a' not in")
    assert_refused(run_pipeline("predict", store.uri, *paths, "name=chainrule-circles"),
                   "predict: no champion yet", "'chainrule-circles'")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("settings, fragments", [
    ({"input": "nowhere.csv"}, ["input: no such file", "nowhere.csv"]),
    ({"output": None}, ["output: not set"]),
], ids=["no-such-input", "no-output"])
def test_make_predicts_settings_are_checked_before_any_model_is_loaded(tmp_path, settings, fragments):
    schemas.register()
    cfg = compose(ROOT / "conf", "predict", [f"input={tmp_path / 'new.csv'}", f"output={tmp_path / 'out.csv'}"])
    for key, value in settings.items():
        cfg[key] = None if value is None else str(tmp_path / value)
    with pytest.raises(ConfigError) as refused:
        checks.validate_predict(cfg)
        predict_file(cfg.model or "models:/never-loaded@champion", cfg.input, cfg.output)
    for fragment in fragments:
        assert fragment in str(refused.value), refused.value
