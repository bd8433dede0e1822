"""Every knob of the core is one override away: depth, optimizers, schedules, early stopping, L1.

What the configs compose to, what settles when depth or model kind varies, and that a run trains
exactly as the core does when called with the same arguments. What they refuse is in
test_bad_config.py.
"""

import logging
import subprocess
import sys

import numpy as np
import pytest
from omegaconf import OmegaConf

from chainrule.core import Adam, GradientDescent, Momentum, fit
from chainrule.experiment import run as pipeline
from chainrule.experiment.checks import drop_what_does_not_apply, validate
from chainrule.experiment.factory import build_optimizer
from chainrule.tracking.runs import run_name

from tests.conftest import ROOT


@pytest.mark.parametrize(
    "option, expected",
    [
        ("gd", {"name": "gd", "suggested_lr": 0.5}),
        ("momentum", {"name": "momentum", "momentum": 0.9, "suggested_lr": 0.05}),
        ("nesterov", {"name": "nesterov", "momentum": 0.9, "suggested_lr": 0.05}),
        ("adam", {"name": "adam", "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "suggested_lr": 0.01}),
    ],
)
def test_each_optimizer_composes_with_scikit_learns_defaults(option, expected, compose_config):
    cfg = compose_config(f"optimizer={option}")
    assert dict(cfg.optimizer) == expected
    validate(cfg)


def test_the_default_is_the_seeds_training(compose_config):
    cfg = compose_config()
    assert cfg.optimizer.name == "gd" and cfg.train.schedule == "constant"
    assert cfg.train.early_stopping is False and cfg.train.l1 == 0.0
    assert isinstance(build_optimizer(cfg.optimizer), GradientDescent)


@pytest.mark.parametrize(
    "option, expected",
    [
        ("optimizer=momentum", Momentum(0.9)),
        ("optimizer=nesterov", Momentum(0.9, nesterov=True)),
        ("optimizer=adam", Adam(0.9, 0.999, 1e-8)),
    ],
)
def test_an_optimizer_config_builds_the_cores_optimizer(option, expected, compose_config):
    assert repr(build_optimizer(compose_config(option).optimizer)) == repr(expected)


@pytest.mark.parametrize(
    "overrides, widths, width, name",
    [
        ([], [2], 2, "mlp-w2-relu-lr0.1-moons"),
        (["model.hidden_width=3"], [3], 3, "mlp-w3-relu-lr0.1-moons"),
        (["model.hidden_widths=[16]"], [16], 16, "mlp-w16-relu-lr0.1-moons"),
        (["model.hidden_widths=[16,8]", "optimizer=adam", "train.lr=0.001"], [16, 8], None, "mlp-w16x8-relu-adam-lr0.001-moons"),
        (["model.hidden_widths=[8,8,8]", "model.activation=tanh", "optimizer=nesterov"], [8, 8, 8], None,
         "mlp-w8x8x8-tanh-nesterov-lr0.1-moons"),
    ],
)
def test_hidden_widths_replaces_hidden_width_and_the_run_records_the_widths_in_effect(overrides, widths, width, name, compose_config):
    cfg = compose_config(*overrides)
    validate(cfg)
    not_recorded = drop_what_does_not_apply(cfg)
    assert list(cfg.model.hidden_widths) == widths and cfg.model.hidden_width == width
    assert not_recorded == ([] if width else ["model.hidden_width"])
    assert run_name(cfg) == name


def test_a_logistic_job_of_a_cross_kind_sweep_runs_without_the_mlps_settings_and_says_so_once(compose_config, caplog):
    caplog.set_level(logging.INFO, logger="chainrule")
    for _ in range(2):  # two jobs of one sweep in one process
        cfg = compose_config("model=logistic", "model.hidden_width=16")
        validate(cfg)
        not_recorded = drop_what_does_not_apply(cfg)
        assert cfg.model.hidden_width is None and run_name(cfg) == "logistic-lr0.1-moons"
        assert not_recorded == ["model.hidden_width", "model.hidden_widths", "model.activation"]
    said = [r.getMessage() for r in caplog.records if "does not apply" in r.getMessage()]
    assert len(said) <= 1  # once per process: an earlier test in this process may have said it already
    assert all(m == "model.hidden_width=16 does not apply to model=logistic: its runs go without it" for m in said)


@pytest.mark.parametrize(
    "overrides, core_arguments",
    [
        (["optimizer=adam", "train.lr=0.01", "model.hidden_widths=[8,4]"], dict(optimizer=Adam())),
        (["optimizer=nesterov", "optimizer.momentum=0.5", "train.schedule=invscaling", "train.power_t=0.25"],
         dict(optimizer=Momentum(0.5, nesterov=True), schedule="invscaling", power_t=0.25)),
        (["train.schedule=adaptive", "train.patience=3", "train.tol=0.01"],
         dict(schedule="adaptive", n_iter_no_change=3, tol=0.01)),
        (["train.early_stopping=true", "train.monitor=validation_accuracy", "train.patience=5", "train.l1=0.001"],
         dict(early_stopping="validation_accuracy", n_iter_no_change=5, l1=0.001)),
    ],
)
def test_a_run_trains_as_the_core_does_with_the_same_arguments(overrides, core_arguments, compose_config):
    cfg = compose_config(*overrides, "train.iterations=60")
    validate(cfg)
    drop_what_does_not_apply(cfg)
    splits, model = pipeline.prepare(cfg)
    history = pipeline.train(cfg, model, splits)

    _, reference = pipeline.prepare(cfg)
    expected = fit(reference, splits.X["train"], splits.y["train"], cfg.train.lr, 60, shuffle=True, seed=cfg.seed,
                   validation_data=(splits.X["val"], splits.y["val"]), max_loss_factor=10.0, **core_arguments)
    np.testing.assert_array_equal(history.loss, expected.loss)
    np.testing.assert_array_equal(history.learning_rate, expected.learning_rate)
    assert (history.reason, history.kept_iteration) == (expected.reason, expected.kept_iteration)
    for name, value in reference.params.items():
        np.testing.assert_array_equal(model.params[name], value)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        (["optimizer=nesterov", "train.schedule=adaptive", "train.early_stopping=true", "dataset=spiral", "model.hidden_widths=[8,8]"],
         {"optimizer.name": "nesterov", "train.schedule": "adaptive", "train.early_stopping": True, "dataset.n_classes": 3,
          "model.hidden_widths": [8, 8]}),
        (["sweep=optimizers", "dataset=digits"], {"optimizer.name": "gd", "train.lr": 0.5, "dataset.name": "digits"}),
        (["sweep=depth_grid", "dataset=blobs", "dataset.n_classes=4", 'dataset.features=[x1,x2,"x1*x2"]'],
         {"dataset.n_classes": 4, "dataset.features": ["x1", "x2", "x1*x2"], "model.name": "mlp"}),
    ],
)
def test_the_command_line_prints_the_composed_config_of_every_new_group_and_preset(overrides, expected):
    shown = subprocess.run([sys.executable, str(ROOT / "pipelines" / "train.py"), "--cfg", "job", "--resolve", *overrides],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    cfg = OmegaConf.create(shown.stdout)
    assert {key: OmegaConf.to_object(v) if OmegaConf.is_config(v := OmegaConf.select(cfg, key)) else v
            for key in expected} == expected
