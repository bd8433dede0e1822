"""The value checks Hydra cannot do, made before any MLflow run exists.

Ranges — ``lr > 0``, split sizes in (0, 1), known activation names — unknown added keys and
required values: :func:`validate` names the key and what is allowed. The other ``validate_*``
functions check the configs of ``make ui``, ``make server`` and ``make report``.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import math

from omegaconf import DictConfig, OmegaConf

from chainrule.core import ACTIVATIONS, INITIALIZERS, MONITORS, OPTIMIZERS, SCHEDULES
from chainrule.errors import ConfigError
from chainrule.experiment.factory import hidden_widths
from chainrule.experiment.metrics import OBJECTIVES
from chainrule.experiment.schemas import MLP_ONLY
from chainrule.model.features import CROSSES

log = logging.getLogger("chainrule")

TASKS = ("train", "gradient_check")
SEED_RANGE = (0, 2**32 - 1)  # scikit-learn's random_state takes no more (NumPy's generators take any)
DTYPES = ("float32", "float64")
PERMISSIONS = ("READ", "EDIT", "MANAGE", "NO_PERMISSIONS")  # MLflow's basic-auth levels on an experiment
SYNTHETIC = ("moons", "circles", "xor", "blobs", "spiral")
MULTICLASS_SYNTHETIC = ("blobs", "spiral")


def _number(cfg: DictConfig, key: str, low: float, high: float = math.inf, *, open_low=False, open_high=True):
    value = OmegaConf.select(cfg, key)
    ok = isinstance(value, (int, float)) and math.isfinite(value)
    ok = ok and (value > low if open_low else value >= low) and (value < high if open_high else value <= high)
    if not ok:
        left = "(" if open_low else "["
        right = ")" if open_high else "]"
        upper = "inf" if high == math.inf else f"{high:g}"
        raise ConfigError(f"{key} must be a finite number in {left}{low:g}, {upper}{right}; got {value!r}")


def _choice(cfg: DictConfig, key: str, allowed) -> None:
    value = OmegaConf.select(cfg, key)
    if value not in allowed:
        raise ConfigError(f"{key} must be one of {', '.join(sorted(allowed))}; got {value!r}")


def _whole_number(cfg: DictConfig, key: str, low: int, high: int) -> None:
    value = OmegaConf.select(cfg, key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key} must be a whole number in [{low}, {high}]; got {value!r}")


def _experiment_name(cfg: DictConfig) -> None:
    name = OmegaConf.select(cfg, "tracking.experiment")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"tracking.experiment must name an MLflow experiment (a non-empty text); got {name!r}")


def _unknown_keys(node: DictConfig, path: str = "") -> None:
    """Reject keys a schema does not have (``+model.dropuot=0.5`` gets past Hydra's own check)."""
    schema = OmegaConf.get_type(node)
    if dataclasses.is_dataclass(schema):
        allowed = [f.name for f in dataclasses.fields(schema)]
        for key in node:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {path}{close[0]}?)" if close else ""
                raise ConfigError(
                    f"{path}{key} is not a setting{hint}; settings of {path.rstrip('.') or 'the config'}: {', '.join(allowed)}"
                )
    for key in node:
        child = node._get_node(key)
        if isinstance(child, DictConfig) and not child._is_none() and not child._is_missing():
            _unknown_keys(child, f"{path}{key}.")


def model_name(cfg: DictConfig, key: str) -> None:
    """``key`` names a registered model as MLflow takes it: a non-empty text without '/' or ':'."""
    name = OmegaConf.select(cfg, key)
    if name is not None and (not isinstance(name, str) or not name.strip() or "/" in name or ":" in name):
        raise ConfigError(f"{key} must name a registered model (a non-empty text without '/' or ':'); got {name!r}")


def _delimiter(cfg: DictConfig, key: str) -> None:
    """``key`` is a CSV delimiter: one character, or ``\\t`` for a tab."""
    sep = OmegaConf.select(cfg, key)
    if len(sep) != 1 and sep != "\\t":
        raise ConfigError(f"{key} must be one character (',', ';', '|', or '\\\\t' for a tab); got {sep!r}")


def validate_objective(cfg: DictConfig) -> None:
    """``objective`` must name a score every run records (checked before any training)."""
    if cfg.objective not in OBJECTIVES:
        hint = difflib.get_close_matches(str(cfg.objective), OBJECTIVES, n=1)
        raise ConfigError(
            f"objective must be one of the scores a run records{f' (did you mean {hint[0]}?)' if hint else ''}: "
            f"{', '.join(OBJECTIVES)}; got {cfg.objective!r}"
        )


def validate_port(cfg: DictConfig) -> None:
    """``port`` (and ``host``) of ``make ui`` / ``make server``."""
    _whole_number(cfg, "port", 1, 65535)


def validate_server(cfg: DictConfig) -> None:
    """What ``make server`` takes that Hydra's schema cannot check."""
    _unknown_keys(cfg)
    validate_port(cfg)
    if cfg.workers is not None:
        _whole_number(cfg, "workers", 1, 256)
    _choice(cfg, "default_permission", PERMISSIONS)
    if not cfg.admin_username.strip():
        raise ConfigError("admin_username must name the admin's account (a non-empty text); got ''")


def validate_ui(cfg: DictConfig) -> None:
    """What ``make ui`` takes that Hydra's schema cannot check."""
    _unknown_keys(cfg)
    validate_port(cfg)
    _experiment_name(cfg)


def validate_serve(cfg: DictConfig) -> None:
    """What ``make serve`` takes that Hydra's schema cannot check."""
    _unknown_keys(cfg)
    validate_port(cfg)
    _whole_number(cfg, "workers", 1, 64)
    model_name(cfg, "name")


def validate_promote(cfg: DictConfig) -> None:
    """What ``make promote`` takes that Hydra's schema cannot check."""
    _unknown_keys(cfg)
    if not cfg.run:
        raise ConfigError('run: which run\'s model to promote? make promote ARGS="run=<run id>" (make run prints it), '
                          'or run=latest: the newest finished run with a model')
    model_name(cfg, "name")
    _experiment_name(cfg)


def validate_predict(cfg: DictConfig) -> None:
    """What ``make predict`` takes that Hydra's schema cannot check (the file is checked as it is read)."""
    _unknown_keys(cfg)
    for key in ("input", "output"):
        if not cfg[key]:
            raise ConfigError(f'{key}: not set; make predict ARGS="input=<file.csv> output=<predictions.csv>"')
    _delimiter(cfg, "sep")
    _whole_number(cfg, "chunk_rows", 1, 10**8)
    model_name(cfg, "name")


def validate_report(cfg: DictConfig) -> None:
    """What ``make report`` takes that Hydra's schema cannot check (the metric is checked against the runs)."""
    _unknown_keys(cfg)
    _whole_number(cfg, "rows", 1, 10**9)
    _experiment_name(cfg)


def _hidden_widths(cfg: DictConfig) -> None:
    """``model.hidden_widths`` (when given) or ``model.hidden_width``: whole numbers ≥ 1."""
    widths = cfg.model.hidden_widths
    if widths is None:
        _number(cfg, "model.hidden_width", 1)
        return
    if len(widths) == 0 or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
        raise ConfigError(
            f"model.hidden_widths must list one whole number >= 1 per hidden layer, e.g. [16, 8]; "
            f"got {OmegaConf.to_container(widths)!r}"
        )


def _input_features(cfg: DictConfig) -> None:
    """``dataset.features`` of 2-D data: a non-empty list of distinct Playground features."""
    chosen = list(cfg.dataset.features)
    unknown = [name for name in chosen if name not in CROSSES]
    if not chosen or unknown or len(set(chosen)) < len(chosen):
        what = f"unknown {unknown}" if unknown else ("none" if not chosen else "a repeated one")
        raise ConfigError(
            f"dataset.features must list distinct input features of the 2-D data among {', '.join(CROSSES)}; "
            f"got {chosen!r} ({what})"
        )


def _optimizer(cfg: DictConfig) -> None:
    """The optimizer's name and its own keys, in scikit-learn's ranges."""
    _choice(cfg, "optimizer.name", OPTIMIZERS)
    _number(cfg, "optimizer.suggested_lr", 0, open_low=True)
    name = cfg.optimizer.name
    if name in ("momentum", "nesterov"):
        _number(cfg, "optimizer.momentum", 0, 1)
    elif name == "adam":
        _number(cfg, "optimizer.beta_1", 0, 1)
        _number(cfg, "optimizer.beta_2", 0, 1)
        _number(cfg, "optimizer.epsilon", 0, open_low=True)


_noted: set[str] = set()  # the settings already said not to apply, in this process


def drop_what_does_not_apply(cfg: DictConfig) -> list[str]:
    """Settle the model's settings to those in effect; returns the dotted keys not to record.

    An MLP records ``model.hidden_widths`` (the widths in effect, ``[3]`` for ``hidden_width=3``)
    and, with one hidden layer, ``model.hidden_width``. A logistic model has neither, nor an
    activation: a sweep across model kinds (``-m model=logistic,mlp model.hidden_width=16``)
    sets them on every job, and the logistic jobs run without them — said once per setting and
    process — and do not record them.
    """
    model = cfg.model
    if model.name == "mlp":
        model.hidden_widths = list(hidden_widths(model))
        model.hidden_width = model.hidden_widths[0] if len(model.hidden_widths) == 1 else None
        return [] if model.hidden_width is not None else ["model.hidden_width"]
    for key in MLP_ONLY:
        value = model[key]
        if value is not None and key not in _noted:
            _noted.add(key)
            log.info("model.%s=%s does not apply to model=logistic: its runs go without it", key, value)
        model[key] = None
    return [f"model.{key}" for key in MLP_ONLY]


def validate(cfg: DictConfig) -> None:
    """Check what the schemas cannot: unknown added keys, required values, ranges and names.

    Raises
    ------
    ConfigError
        Naming the first offending key, the value received and what is allowed.
    """
    _unknown_keys(cfg)
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(f"required value(s) not set (still '???'): {', '.join(missing)}")
    _choice(cfg, "task", TASKS)
    validate_objective(cfg)
    _choice(cfg, "model.init", INITIALIZERS)
    if cfg.model.name == "mlp":
        _hidden_widths(cfg)
        _choice(cfg, "model.activation", ACTIVATIONS)
    _optimizer(cfg)
    _number(cfg, "train.lr", 0, open_low=True)
    _number(cfg, "train.iterations", 1)
    if cfg.train.batch_size is not None:
        _number(cfg, "train.batch_size", 1)
    _number(cfg, "train.l1", 0)
    _number(cfg, "train.l2", 0)
    _choice(cfg, "train.schedule", SCHEDULES)
    _number(cfg, "train.power_t", 0)
    _choice(cfg, "train.monitor", MONITORS)
    _whole_number(cfg, "train.patience", 1, 10**9)
    _number(cfg, "train.tol", 0)
    if cfg.train.max_loss_factor is not None:
        _number(cfg, "train.max_loss_factor", 1)
    _choice(cfg, "train.dtype", DTYPES)
    _number(cfg, "train.test_size", 0, 1, open_low=True)
    _number(cfg, "train.val_size", 0, 1, open_low=True)
    if cfg.train.test_size + cfg.train.val_size >= 1:
        raise ConfigError(
            "train.test_size + train.val_size must be < 1 (something must be left to train on); "
            f"got {cfg.train.test_size} + {cfg.train.val_size}"
        )
    _whole_number(cfg, "seed", *SEED_RANGE)
    _number(cfg, "progress", 0)
    _number(cfg, "figures.resolution", 10, 2000, open_high=False)
    _whole_number(cfg, "figures.snapshots", 0, 1000)
    _whole_number(cfg, "figures.snapshot_resolution", 10, 1000)
    _whole_number(cfg, "figures.neuron_resolution", 4, 500)
    if cfg.figures.neurons_over_training and not cfg.figures.over_training:
        raise ConfigError("figures.neurons_over_training=true draws the neurons into the snapshots of training: "
                          "it needs figures.over_training=true (got false)")
    if cfg.dataset.name in SYNTHETIC:
        _number(cfg, "dataset.n_samples", 10)
        _number(cfg, "dataset.noise", 0)
    if cfg.dataset.name in SYNTHETIC and cfg.dataset.features is not None:
        _input_features(cfg)
    if cfg.dataset.name in MULTICLASS_SYNTHETIC:
        _whole_number(cfg, "dataset.n_classes", 2, 100)
    if cfg.dataset.name == "csv":
        _whole_number(cfg, "dataset.max_classes", 2, 10**6)
    _experiment_name(cfg)
    model_name(cfg, "registry.name")
    if cfg.dataset.name == "csv":
        _delimiter(cfg, "dataset.sep")
    if cfg.task == "gradient_check" and cfg.gradient_check is None:
        raise ConfigError("task=gradient_check needs a gradient_check section (see experiment=exercise1)")
