"""Lines 1–6 of the reliability issue: bad input from the command line, YAML and CSV files is
answered with a message, a non-zero exit and no MLflow run — never a traceback."""

import pytest

pytestmark = pytest.mark.slow


def assert_refused(store, result, *messages):
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for message in messages:
        assert message in output
    assert "Traceback" not in output
    assert store.runs() == []


def test_1_wrong_types_on_the_command_line(store):
    assert_refused(store, store.train("train.iterations=2.5", check=False),
                   "Value '2.5' of type 'float' could not be converted to Integer", "full_key: train.iterations")


def test_1_wrong_types_in_a_yaml_file(store, tmp_path):
    extra = tmp_path / "extra" / "experiment"
    extra.mkdir(parents=True)
    (extra / "mine.yaml").write_text("# @package _global_\ntrain:\n  lr: abc\n")
    result = store.train(f"--config-dir={tmp_path / 'extra'}", "experiment=mine", check=False)
    assert_refused(store, result, "Value 'abc' of type 'str' could not be converted to Float", "train.lr")


def test_2_misspelt_keys_even_with_plus(store):
    assert_refused(store, store.train("+model.dropuot=0.5", check=False),
                   "model.dropuot is not a setting; settings of model: name, hidden_width, hidden_widths, activation, init")
    assert_refused(store, store.train("model.dropuot=0.5", check=False), "Key 'dropuot' not in 'MLPModelConfig'")


def test_3_a_required_value_left_unset_is_named_at_start(store):
    assert_refused(store, store.train("dataset=csv", "dataset.target=y", check=False),
                   "required value(s) not set (still '???'): dataset.path")


def test_4_unknown_group_options_list_the_available_ones(store):
    result = store.train("dataset=foo", check=False)
    assert_refused(store, result, "Could not find 'dataset/foo'", "Available options in 'dataset'")
    for option in ("breast_cancer", "circles", "csv", "moons", "xor"):
        assert f"\t{option}\n" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["train.lr=nan"], "train.lr must be a finite number in (0, inf); got nan"),
        (["train.iterations=0"], "train.iterations must be a finite number in [1, inf); got 0"),
        (["model.hidden_width=0"], "model.hidden_width must be a finite number in [1, inf); got 0"),
        (["train.test_size=0.7", "train.val_size=0.3"], "train.test_size + train.val_size must be < 1"),
        (["train.batch_size=1000"], "train.batch_size must be between 1 and the training split's 300 rows; got 1000"),
    ],
)
def test_5_out_of_range_values_hydra_accepts(store, overrides, message):
    assert_refused(store, store.train(*overrides, check=False), message)


@pytest.mark.parametrize(
    "content, target, message",
    [
        (None, "y", "dataset.path: no such file"),
        ("", "y", "cannot read"),
        ("a,b\n1,2\n3,4\n", "y", "dataset.target: column 'y' not in"),
        ("a,y\n" + "1,0\n" * 30, "y", "must hold 2 to 50 distinct values (the classes) and no blanks; got 1 value(s)"),
        ("a,y\n" + "".join(f"{i},{i / 10}\n" for i in range(60)), "y",
         "got 60 value(s) ['0.0', '0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9', '…']: more than dataset.max_classes=50"),
        ("a,y\n" + "".join(f"{'x' if i == 7 else i},{i % 2}\n" for i in range(30)), "y", "column 'a' of"),
        ("a,y\n" + "".join(f"{'nan' if i == 4 else i},{i % 2}\n" for i in range(30)), "y", "row 4 (line 6 of the file) holds nan"),
        ("a,y\n1,0\n2,1\n3,0\n4,1\n", "y", "4 rows cannot be split into train/val/test"),
    ],
)
def test_6_unusable_csv_files_say_which_column_or_row(store, tmp_path, content, target, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    result = store.train("dataset=csv", f"dataset.path={path}", f"dataset.target={target}", check=False)
    assert_refused(store, result, message)


def test_6_a_folder_is_not_a_csv(store, tmp_path):
    assert_refused(store, store.train("dataset=csv", f"dataset.path={tmp_path}", "dataset.target=y", check=False),
                   "is not a file")
