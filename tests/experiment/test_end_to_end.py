"""pipelines/train.py for real: subprocesses, a real SQLite store, read back with MlflowClient."""

import json
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

import chainrule.core
from chainrule.experiment import run as pipeline
from tests.conftest import artifact_paths

ITERATIONS = 40
BOUNDED = ["accuracy", "precision", "recall", "f1", "roc_auc", "brier"]


@pytest.mark.slow
def test_a_single_run_records_everything_and_its_model_reproduces_the_core(store, compose_config):
    overrides = ["model=mlp", "model.hidden_width=3", f"train.iterations={ITERATIONS}", "train.lr=0.5"]
    store.train(*overrides)

    (run,) = store.runs()
    client = store.client
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "mlp-w3-relu-lr0.5-moons"
    assert run.data.tags["chainrule.dataset"] == "moons" and run.data.tags["chainrule.model"] == "mlp"
    assert run.data.params["model.hidden_width"] == "3" and run.data.params["train.lr"] == "0.5"

    for key in ("train/loss", "val/loss"):
        history = client.get_metric_history(run.info.run_id, key)
        assert sorted(m.step for m in history) == list(range(ITERATIONS))
    for split in ("train", "val", "test"):
        for name in BOUNDED:
            assert 0 <= run.data.metrics[f"{split}/{name}"] <= 1
        assert run.data.metrics[f"{split}/log_loss"] > 0

    paths = artifact_paths(client, run.info.run_id)
    for expected in ("config.yaml", "overrides.yaml", "figures/loss_curve.png", "confusion_matrix.json", "label_mapping.json"):
        assert expected in paths
    contexts = sorted(next(t.value for t in i.tags if t.key == "mlflow.data.context") for i in run.inputs.dataset_inputs)
    assert contexts == ["test", "train", "val"]
    with open(client.download_artifacts(run.info.run_id, "confusion_matrix.json", str(store.folder))) as f:
        confusion = json.load(f)
    assert np.array(confusion["test"]).sum() == 100  # 20 % of 500 points

    # The logged pyfunc model gives exactly the probabilities of the core trained the same way.
    cfg = compose_config(*overrides)
    splits, model = pipeline.prepare(cfg)
    pipeline.train(cfg, model, splits)
    expected = model.predict_proba(splits.X["test"])
    loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    predicted = loaded.predict(splits.raw["test"][splits.table.features])
    np.testing.assert_array_equal(predicted["probability"].to_numpy(), expected)
    np.testing.assert_array_equal(predicted["label"].to_numpy(), (expected >= 0.5).astype(int))
    assert run.data.metrics["test/accuracy"] == pytest.approx((predicted["label"] == splits.y["test"]).mean())

    # It carries its own code, the core and the loader only, and predicts the same from that alone.
    model_dir = Path(mlflow.artifacts.download_artifacts(f"runs:/{run.info.run_id}/model", dst_path=str(store.folder)))
    code = model_dir / "code"
    assert sorted(str(p.relative_to(code)) for p in code.rglob("*.py")) == sorted(
        ["chainrule/__init__.py", "chainrule/model/__init__.py", "chainrule/model/weights.py", "chainrule/model/pyfunc.py",
         "chainrule/model/features.py"]
        + [f"chainrule/core/{p.name}" for p in Path(chainrule.core.__file__).parent.glob("*.py")]
    )
    raw, out = store.folder / "raw_test.parquet", store.folder / "probability.npy"
    splits.raw["test"][splits.table.features].to_parquet(raw)
    alone = subprocess.run([sys.executable, "-c", (
        "import sys; sys.path.insert(0, sys.argv[1]); import mlflow, numpy as np, pandas as pd, chainrule;"
        "assert chainrule.__file__.startswith(sys.argv[1]), chainrule.__file__;"
        "np.save(sys.argv[4], mlflow.pyfunc.load_model(sys.argv[2]).predict(pd.read_parquet(sys.argv[3]))['probability'])"
    ), str(code), str(model_dir), str(raw), str(out)], capture_output=True, text=True, timeout=120)
    assert alone.returncode == 0, alone.stderr
    np.testing.assert_array_equal(np.load(out), expected)


@pytest.mark.slow
def test_a_deep_adam_run_that_stops_early_records_why_and_its_model_reproduces_the_core(store, compose_config):
    overrides = ["model.hidden_widths=[16,8]", "optimizer=adam", "train.lr=0.05", "train.iterations=400",
                 "train.early_stopping=true", "train.patience=5", "train.schedule=adaptive"]
    store.train(*overrides)

    (run,) = store.runs()
    assert run.info.status == "FINISHED" and run.info.run_name == "mlp-w16x8-relu-adam-lr0.05-moons"
    params, tags = run.data.params, run.data.tags
    assert params["model.hidden_widths"] == "[16, 8]" and "model.hidden_width" not in params
    assert params["optimizer.name"] == "adam" and params["optimizer.beta_2"] == "0.999"
    assert tags["chainrule.stopped_early"] == "true" and tags["chainrule.monitor"] == "validation_loss"
    assert "did not improve" in tags["chainrule.stop_reason"]

    cfg = compose_config(*overrides)
    splits, model = pipeline.prepare(cfg)
    history = pipeline.train(cfg, model, splits)
    assert tags["chainrule.best_iteration"] == tags["chainrule.kept_iteration"] == str(history.kept_iteration)  # restored
    assert history.kept_iteration < len(history.loss) - 1
    client = store.client
    assert len(client.get_metric_history(run.info.run_id, "train/loss")) == len(history.loss) < 400
    rates = {m.step: m.value for m in client.get_metric_history(run.info.run_id, "train/lr")}
    changes = [0] + [i for i in range(1, len(history.learning_rate)) if history.learning_rate[i] != history.learning_rate[i - 1]]
    assert sorted(rates) == changes and rates[0] == 0.05
    # how the gradients flowed: per weight matrix, at log-spaced steps from the first to the last iteration
    for key in ("grad_norm/W1", "grad_norm/W2", "grad_norm/w", "update_ratio/W1"):
        steps = sorted(m.step for m in client.get_metric_history(run.info.run_id, key))
        assert steps[0] == 0 and max(steps) == len(history.loss) - 1 and 10 < len(steps) <= 100
    assert "grad_norm/b1" not in run.data.metrics and "figures/gradient_flow.png" in artifact_paths(client, run.info.run_id)
    # the logged model holds the restored best weights: bit for bit the core's predictions
    loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    predicted = loaded.predict(splits.raw["test"][splits.table.features])
    np.testing.assert_array_equal(predicted["probability"].to_numpy(), model.predict_proba(splits.X["test"]))


@pytest.mark.slow
def test_a_multirun_gets_one_parent_with_every_job_as_its_child(store):
    # across model kinds with a setting only the MLP has: the logistic jobs run without it
    result = store.train("-m", "model=logistic,mlp", "train.lr=0.1,1.0", "model.hidden_width=3", f"train.iterations={ITERATIONS}")
    said = (result.stdout + result.stderr).count("model.hidden_width=3 does not apply to model=logistic: its runs go without it")
    assert said == 1

    runs = store.runs()
    parents = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    children = [r for r in runs if r not in parents]
    assert len(parents) == 1 and len(children) == 4
    parent = parents[0]
    assert parent.info.status == "FINISHED"
    assert all(c.data.tags["mlflow.parentRunId"] == parent.info.run_id for c in children)
    assert all(c.info.status == "FINISHED" for c in children)
    assert sorted(c.info.run_name for c in children) == [
        "logistic-lr0.1-moons", "logistic-lr1-moons", "mlp-w3-relu-lr0.1-moons", "mlp-w3-relu-lr1-moons",
    ]
    for child in children:
        recorded = {k for k in child.data.params if k.startswith("model.")}
        if child.data.params["model.name"] == "logistic":
            assert recorded == {"model.name", "model.init"}
        else:
            assert child.data.params["model.hidden_width"] == "3" and child.data.params["model.hidden_widths"] == "[3]"

    client = store.client
    paths = artifact_paths(client, parent.info.run_id)
    assert {"sweep_summary.csv", "figures/loss_comparison.png"} <= set(paths)
    summary = pd.read_csv(client.download_artifacts(parent.info.run_id, "sweep_summary.csv", str(store.folder)))
    assert sorted(summary["run_id"]) == sorted(c.info.run_id for c in children)
    assert {"params.train.lr", "params.model.name", "metrics.test/accuracy"} <= set(summary.columns)

    best = min(children, key=lambda c: c.data.metrics["val/log_loss"])
    assert parent.data.tags["chainrule.best_run_id"] == best.info.run_id
    assert parent.data.metrics["best/val/log_loss"] == best.data.metrics["val/log_loss"]
    assert parent.data.tags["chainrule.children"] == "4" and parent.data.tags["chainrule.failed_children"] == "0"


@pytest.mark.slow
def test_the_exercise1_preset_prints_and_logs_the_gradient_table(store):
    result = store.train("experiment=exercise1")
    assert "W1[1, 1] -1.8858427e-01 -1.8858427e-01" in result.stdout
    (run,) = store.runs()
    assert run.info.status == "FINISHED"
    assert run.data.metrics["gradient_check/max_relative_error"] < 1e-6
    table = pd.read_csv(store.client.download_artifacts(run.info.run_id, "gradient_check.csv", str(store.folder)))
    assert len(table) == 9
    np.testing.assert_allclose(table["analytic"], table["numerical"], rtol=1e-6)
