"""dataset=csv: any CSV via pandas, two label values mapped to 0/1, bad files explained."""

import re

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


def load_csv(tmp_path, text, target="y", features=None):
    path = tmp_path / "f.csv"
    path.write_text(text)
    return data._read_csv(str(path), target, features)


@pytest.mark.parametrize(
    "text, target, message",
    [
        ("", "y", "cannot read"),
        ("a,y\n1,0\n2,1\n", "label", "dataset.target: column 'label' not in"),
        ("a,y\n1,0\n2,0\n", "y", "must hold exactly two distinct values and no blanks; got 1 value(s) ['0']"),
        ("a,y\n1,0\n2,1\n3,2\n", "y", "got 3 value(s) ['0', '1', '2']"),
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
