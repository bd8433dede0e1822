"""A run's views of how it trained (Playground's): recorded without changing training, logged as MLflow shows them."""

import re

import numpy as np
import pytest
from PIL import Image

from chainrule.core import GradientFlow
from chainrule.errors import ConfigError
from chainrule.experiment import run as pipeline
from chainrule.experiment import training_views
from chainrule.experiment.checks import validate
from chainrule.experiment.figures import run_figures
from tests.conftest import artifact_paths

VIEWS = ("gradient_flow", "over_training", "animation", "neurons", "network", "loss_landscape")
EVERY_VIEW_OFF = [f"figures.{view}=false" for view in VIEWS]


@pytest.mark.parametrize("overrides", [
    ["model.hidden_widths=[8,4]", "model.activation=tanh", "optimizer=adam", "train.lr=0.01", "train.batch_size=32",
     "train.shuffle=true", "train.early_stopping=true", "train.iterations=60", "figures.neurons_over_training=true"],
    ["model=logistic", "train.iterations=80"],
    ["dataset=spiral", "model.hidden_widths=[6]", "train.iterations=40"],
])
def test_every_view_on_or_off_trains_the_same_bits(overrides, compose_config):
    runs = []
    for views in ([], EVERY_VIEW_OFF):
        cfg = compose_config(*overrides, *views)
        splits, model = pipeline.prepare(cfg)
        snapshots = training_views.recorder(cfg, model, splits)
        flow = GradientFlow() if cfg.figures.gradient_flow else None
        assert (snapshots is None) == bool(views)
        history = pipeline.train(cfg, model, splits, callback=snapshots, gradient_flow=flow)
        if snapshots is not None:  # drawing everything afterwards does not touch the model either
            run_figures(cfg, "run", history, model, splits, {s: model.predict_proba(X) for s, X in splits.X.items()},
                        flow, snapshots)
        runs.append((history, model.theta.copy()))
    (on, theta_on), (off, theta_off) = runs
    np.testing.assert_array_equal(on.loss, off.loss)
    np.testing.assert_array_equal(on.val_loss, off.val_loss)
    np.testing.assert_array_equal(theta_on, theta_off)


def test_snapshots_are_the_untrained_network_the_last_iteration_and_the_asked_number_between():
    assert training_views.snapshot_steps(1000, 12) == [0, 1, 2, 3, 6, 10, 18, 32, 56, 100, 178, 316, 562, 1000]
    assert training_views.snapshot_steps(5, 12) == [0, 1, 2, 3, 4, 5]  # fewer when there are fewer iterations
    assert training_views.snapshot_steps(50, 0) == [0, 50]


def test_the_views_that_apply_are_the_ones_described(compose_config):
    def described(*overrides):
        cfg = compose_config("train.iterations=5", *overrides)
        splits, model = pipeline.prepare(cfg)
        snapshots = training_views.recorder(cfg, model, splits)
        pipeline.train(cfg, model, splits, callback=snapshots)
        return [spec.name for spec in training_views.figures(cfg, "run", model, splits, snapshots)]

    assert described("model.hidden_widths=[4,3]") == ["neurons_layer1", "neurons_layer2", "network", "training"]
    assert described("model=logistic") == ["network", "loss_landscape", "training"]
    # three weights: no 2-D landscape; the input plane is still (x1, x2)
    assert described("model=logistic", "dataset.features=[x1,x2,'x1*x2']") == ["network", "training"]
    assert described("dataset=digits", "model.hidden_width=8") == ["network"]  # 64 features: no input plane
    assert described("figures=sweep") == []
    assert described("sweep=width_grid") == ["network"]


def test_the_sweep_presets_draw_the_light_views_and_a_single_run_all_of_them(compose_config):
    for preset in ("lr_grid", "width_grid", "depth_grid", "optimizers", "lr_optuna"):
        figures = compose_config(f"sweep={preset}").figures
        assert not figures.over_training and not figures.animation and not figures.neurons, preset
        assert figures.loss_landscape, preset
        assert figures.gradient_flow == (preset == "depth_grid"), preset  # where depth is the question
        assert figures.network == (preset in ("depth_grid", "width_grid")), preset  # where the architecture is
    assert all(compose_config().figures[view] for view in VIEWS)
    assert compose_config("sweep=lr_grid", "figures.over_training=true").figures.over_training


@pytest.mark.parametrize("override, message", [
    ("figures.snapshots=-1", "figures.snapshots must be a whole number in [0, 1000]; got -1"),
    ("figures.snapshot_resolution=5", "figures.snapshot_resolution must be a whole number in [10, 1000]; got 5"),
    ("figures.neuron_resolution=1", "figures.neuron_resolution must be a whole number in [4, 500]; got 1"),
    ("figures.over_training=false figures.neurons_over_training=true", "it needs figures.over_training=true"),
])
def test_bad_figure_settings_are_refused_naming_the_key(override, message, compose_config):
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate(compose_config(*override.split()))


@pytest.mark.slow
def test_a_run_logs_its_snapshots_for_the_step_slider_its_gif_neurons_network_and_landscape(store):
    store.train("-m", "model=mlp,logistic", "model.hidden_widths=[5,3]", "train.iterations=100", "train.lr=0.5")
    runs = {r.data.tags["chainrule.model"]: r for r in store.runs() if "chainrule.model" in r.data.tags}
    client = store.client
    expected_steps = training_views.snapshot_steps(100, 12)
    for kind, figures in (("mlp", {"neurons_layer1.png", "neurons_layer2.png", "network.png"}),
                          ("logistic", {"network.png", "loss_landscape.png"})):
        run = runs[kind]
        paths = artifact_paths(client, run.info.run_id)
        assert {f"figures/{name}" for name in figures | {"training.gif", "decision_boundary.png"}} <= set(paths), kind
        # mlflow.log_image(key=..., step=...): a full-size PNG and a compressed preview per step
        steps = sorted(int(re.search(r"\+step\+(\d+)\+", p).group(1)) for p in paths
                       if p.startswith(f"images/{training_views.SNAPSHOT_KEY}+") and p.endswith(".png"))
        assert steps == expected_steps, kind
        assert run.data.tags["mlflow.loggedImages"] == "True"
        gif = client.download_artifacts(run.info.run_id, "figures/training.gif", str(store.folder / kind))
        with Image.open(gif) as image:
            assert image.n_frames == len(expected_steps)
    assert "figures/neurons_layer1.png" not in artifact_paths(client, runs["logistic"].info.run_id)
