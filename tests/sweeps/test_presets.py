"""The presets: sweep=lr_grid / width_grid / depth_grid and the seed's three exercises, one command each."""

import mlflow
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from chainrule.sweeps import summary
from tests.conftest import ROOT, artifact_paths


def hydra_view(*overrides):
    with initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=True)


@pytest.mark.parametrize(
    "preset, params",
    [
        ("sweep=lr_grid", {"train.lr": "0.001,0.01,0.1,1.0", "model": "logistic,mlp"}),
        ("sweep=width_grid", {"model.hidden_width": "1,2,3,4,8,16"}),
        ("sweep=depth_grid", {"model.hidden_widths": "[8],[8,8],[8,8,8],[8,8,8,8]"}),
        ("sweep=optimizers", {"optimizer": "gd,momentum,nesterov,adam"}),
        ("experiment=exercise2", {"train.lr": "0.001,0.01,0.1,1.0"}),
        ("experiment=exercise3", {"model.hidden_width": "2,3"}),
        ("sweep=lr_optuna", {"train.lr": "tag(log, interval(0.0001, 10.0))"}),
    ],
)
def test_sweep_presets_are_multiruns_over_the_seeds_grids(preset, params):
    cfg = hydra_view(preset)
    assert cfg.hydra.mode.name == "MULTIRUN"
    assert {str(k): str(v) for k, v in cfg.hydra.sweeper.params.items()} == params


@pytest.mark.parametrize("optimizer, lr", [("gd", 0.5), ("momentum", 0.05), ("nesterov", 0.05), ("adam", 0.01)])
def test_the_optimizers_preset_trains_each_optimizer_at_its_suggested_learning_rate(optimizer, lr):
    cfg = hydra_view("sweep=optimizers", f"optimizer={optimizer}")  # what the sweep's job for it composes
    assert cfg.optimizer.name == optimizer and cfg.train.lr == lr and cfg.model.hidden_width == 8


def test_exercise2_is_the_seeds_2_2_1_relu_network_with_its_initialisation():
    cfg = hydra_view("experiment=exercise2")
    assert OmegaConf.to_container(cfg.model) == {
        "name": "mlp", "hidden_width": 2, "hidden_widths": None, "activation": "relu", "init": "small",
    }
    assert cfg.train.batch_size is None  # full-batch gradient descent


def test_exercise1_holds_the_seeds_weights_and_example():
    cfg = hydra_view("experiment=exercise1")
    assert cfg.task == "gradient_check"
    assert OmegaConf.to_container(cfg.gradient_check.params) == {
        "W1": [[0.5, 0.3], [0.2, 0.4]], "b1": [0.1, 0.2], "w": [0.6, 0.7], "b": 0.3,
    }
    assert list(cfg.gradient_check.x) == [1.0, 2.0] and cfg.gradient_check.y == 1


@pytest.mark.slow
def test_exercise2_runs_four_learning_rates_under_one_parent_with_the_comparison_figure(store):
    store.train("experiment=exercise2", "train.iterations=30")
    runs = store.runs()
    (parent,) = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(float(c.data.params["train.lr"]) for c in children) == [0.001, 0.01, 0.1, 1.0]
    assert parent.info.run_name.startswith("exercise2-")
    assert "figures/loss_comparison.png" in artifact_paths(store.client, parent.info.run_id)


@pytest.mark.slow
def test_a_depth_sweep_from_the_command_line_gets_the_depth_comparison_figure(store):
    store.train("-m", "model.hidden_widths=[4],[4,4]", "train.iterations=20")
    runs = store.runs()
    (parent,) = [r for r in runs if r.data.tags.get("chainrule.role") == "sweep"]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(c.info.run_name for c in children) == ["mlp-w4-relu-lr0.1-moons", "mlp-w4x4-relu-lr0.1-moons"]
    paths = artifact_paths(store.client, parent.info.run_id)
    assert "figures/depth_comparison.png" in paths and "figures/width_comparison.png" not in paths
    client = store.client
    frame = mlflow.search_runs([parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    curves = summary.comparison_curves(client, frame)
    assert sorted(curves["label"].unique()) == ["α = 0.1, H = 4", "α = 0.1, H = [4, 4]"]  # one line per depth
