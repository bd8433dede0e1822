"""Bad settings stop the run with a message naming the key and what is allowed — before any MLflow run."""

import re

import pytest
from hydra.errors import ConfigCompositionException

from chainrule.errors import ConfigError
from chainrule.experiment import run as pipeline

from tests.conftest import ROOT


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["train.lr=-1"], "train.lr must be a finite number in (0, inf); got -1.0"),
        (["train.lr=0"], "train.lr must be a finite number in (0, inf); got 0.0"),
        (["train.lr=nan"], "train.lr must be a finite number in (0, inf); got nan"),
        (["train.lr=inf"], "train.lr must be a finite number in (0, inf); got inf"),
        (["train.iterations=0"], "train.iterations must be a finite number in [1, inf); got 0"),
        (["model.hidden_width=0"], "model.hidden_width must be a finite number in [1, inf); got 0"),
        (["model.activation=softmax"], "model.activation must be one of leaky_relu, relu, sigmoid, tanh; got 'softmax'"),
        (["model.init=zeros"], "model.init must be one of he, small, xavier; got 'zeros'"),
        (["train.test_size=0"], "train.test_size must be a finite number in (0, 1); got 0.0"),
        (["train.val_size=1.5"], "train.val_size must be a finite number in (0, 1); got 1.5"),
        (["train.test_size=0.5", "train.val_size=0.5"], "train.test_size + train.val_size must be < 1"),
        (["train.batch_size=0"], "train.batch_size must be a finite number in [1, inf); got 0"),
        (["train.batch_size=301"], "train.batch_size must be between 1 and the training split's 300 rows; got 301"),
        (["train.dtype=float16"], "train.dtype must be one of float32, float64; got 'float16'"),
        (["dataset.noise=-0.1"], "dataset.noise must be a finite number in [0, inf); got -0.1"),
        (["+model.dropuot=0.5"], "model.dropuot is not a setting; settings of model: name, hidden_width, hidden_widths, activation, init"),
        (["+train.lrr=0.5"], "train.lrr is not a setting (did you mean train.lr?)"),
        (["dataset=csv"], "required value(s) not set (still '???'): dataset.path, dataset.target"),
        # the core's knobs beyond the seed: optimizers, schedules, early stopping, L1, depth
        (["optimizer=momentum", "optimizer.momentum=1.0"], "optimizer.momentum must be a finite number in [0, 1); got 1.0"),
        (["optimizer=nesterov", "optimizer.momentum=-0.1"], "optimizer.momentum must be a finite number in [0, 1); got -0.1"),
        (["optimizer=adam", "optimizer.beta_1=1"], "optimizer.beta_1 must be a finite number in [0, 1); got 1.0"),
        (["optimizer=adam", "optimizer.beta_2=nan"], "optimizer.beta_2 must be a finite number in [0, 1); got nan"),
        (["optimizer=adam", "optimizer.epsilon=0"], "optimizer.epsilon must be a finite number in (0, inf); got 0.0"),
        (["optimizer=adam", "optimizer.name=adagrad"], "optimizer.name must be one of adam, gd, momentum, nesterov; got 'adagrad'"),
        (["train.schedule=cosine"], "train.schedule must be one of adaptive, constant, invscaling; got 'cosine'"),
        (["train.power_t=-1"], "train.power_t must be a finite number in [0, inf); got -1.0"),
        (["train.monitor=val_acc"], "train.monitor must be one of training_loss, validation_accuracy, validation_loss; got 'val_acc'"),
        (["train.patience=0"], "train.patience must be a whole number in [1, 1000000000]; got 0"),
        (["train.tol=-1e-4"], "train.tol must be a finite number in [0, inf); got -0.0001"),
        (["train.l1=-0.5"], "train.l1 must be a finite number in [0, inf); got -0.5"),
        (["model.hidden_widths=[16,0]"], "model.hidden_widths must list one whole number >= 1 per hidden layer, e.g. [16, 8]; got [16, 0]"),
        (["model.hidden_widths=[]"], "model.hidden_widths must list one whole number >= 1 per hidden layer, e.g. [16, 8]; got []"),
        (["+optimizer.momentun=0.5"], "optimizer.momentun is not a setting; settings of optimizer: name, suggested_lr"),
        (["optimizer=momentum", "+optimizer.momentun=0.5"], "optimizer.momentun is not a setting (did you mean optimizer.momentum?)"),
    ],
)
def test_out_of_range_values_are_rejected_before_any_run(overrides, message, compose_config, store):
    cfg = compose_config(*overrides, f"tracking.uri={store.uri}")
    with pytest.raises(ConfigError, match=re.escape(message)):
        pipeline.run(cfg, ROOT)
    assert store.runs() == []


@pytest.mark.parametrize(
    "overrides, error, message",
    [
        (["train.lr=abc"], ConfigCompositionException, "Value 'abc' of type 'str' could not be converted to Float"),
        (["train.iterations=2.5"], ConfigCompositionException, "Value '2.5' of type 'float' could not be converted to Integer"),
        (["model.dropuot=0.5"], ConfigCompositionException, "Could not override 'model.dropuot'"),
        (["model=foo"], ConfigCompositionException, "Could not find 'model/foo'"),
        (["dataset=foo"], ConfigCompositionException, "Could not find 'dataset/foo'"),
    ],
)
def test_hydra_rejects_wrong_types_unknown_keys_and_unknown_options(overrides, error, message, compose_config):
    with pytest.raises(error) as raised:
        compose_config(*overrides)
    chain = f"{raised.value} {raised.value.__cause__}"  # what Hydra prints on the command line
    assert message in chain


def test_an_unknown_option_lists_the_available_ones(compose_config):
    with pytest.raises(ConfigCompositionException) as raised:
        compose_config("model=foo")
    assert re.search(r"Available options in 'model':\s+logistic\s+mlp\s*$", str(raised.value), re.M)


@pytest.mark.slow
@pytest.mark.parametrize(
    "override, message",
    [
        ("train.lr=-1", "configuration error: train.lr must be a finite number in (0, inf); got -1.0"),
        ("train.lr=abc", "Value 'abc' of type 'str' could not be converted to Float"),
        ("model=foo", "Could not find 'model/foo'"),
    ],
)
def test_the_command_line_exits_non_zero_with_the_message_and_no_traceback(override, message, store):
    result = store.train(override, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in output
    assert "Traceback" not in output
    assert store.runs() == []
