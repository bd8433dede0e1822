"""Config schemas, registered in Hydra's ConfigStore, and the value checks Hydra cannot do.

Every group option in ``conf/`` extends one of these dataclasses (its defaults list names
the schema), so Hydra rejects a misspelt key or a wrong type in YAML or on the command line.
Ranges — ``lr > 0``, split sizes in (0, 1), known activation names — are checked by
:func:`validate`, which names the key and what is allowed, before any MLflow run exists.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from hydra.errors import CompactHydraException
from omegaconf import MISSING, DictConfig, OmegaConf

from chainrule.core import ACTIVATIONS, INITIALIZERS
from chainrule.metrics import OBJECTIVES


class ConfigError(CompactHydraException, ValueError):
    """A configuration value is out of range, missing or inconsistent.

    A CompactHydraException, so that when a sweep job fails with it Hydra prints the message
    alone: bad settings are not a crash and get no traceback.
    """


class DivergedTrial(CompactHydraException):
    """Raised after a diverged run is recorded, for sweepers that optimise (Optuna): they must see
    the trial as failed, not as a NaN objective. A grid sweep gets NaN and goes on."""


# -- datasets -----------------------------------------------------------------------------


@dataclass
class SyntheticDatasetConfig:
    """moons, circles, xor: seeded 2-D point clouds from scikit-learn / NumPy."""

    name: str = MISSING
    n_samples: int = 500
    noise: float = 0.2


@dataclass
class BreastCancerDatasetConfig:
    """scikit-learn's bundled Wisconsin breast-cancer table (569 × 30; no download)."""

    name: str = "breast_cancer"


@dataclass
class CsvDatasetConfig:
    """Any CSV file read with pandas; the target column must hold exactly two values."""

    name: str = "csv"
    path: str = MISSING
    target: str = MISSING
    features: Optional[list[str]] = None
    sep: str = ","


# -- models -------------------------------------------------------------------------------


@dataclass
class LogisticModelConfig:
    name: str = "logistic"
    init: str = "small"


@dataclass
class MLPModelConfig:
    name: str = "mlp"
    hidden_width: int = 2
    activation: str = "relu"
    init: str = "he"


# -- the rest -----------------------------------------------------------------------------


@dataclass
class TrainConfig:
    lr: float = 0.1
    iterations: int = 1000
    batch_size: Optional[int] = None
    shuffle: bool = True
    l2: float = 0.0
    max_loss_factor: Optional[float] = 10.0
    dtype: str = "float64"
    test_size: float = 0.2
    val_size: float = 0.2
    scale: bool = True


@dataclass
class TrackingConfig:
    uri: Optional[str] = None
    experiment: str = "chainrule"
    log_model: bool = True


@dataclass
class FiguresConfig:
    log_scale: bool = True
    resolution: int = 150
    background: bool = True


@dataclass
class GradientCheckConfig:
    """One example and fixed weights (the seed's Exercise 1)."""

    x: list[float] = MISSING
    y: int = MISSING
    params: dict[str, Any] = MISSING
    eps: float = 1e-5


@dataclass
class Config:
    dataset: Any = MISSING
    model: Any = MISSING
    train: TrainConfig = field(default_factory=TrainConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    figures: FiguresConfig = field(default_factory=FiguresConfig)
    task: str = "train"
    gradient_check: Optional[GradientCheckConfig] = None
    seed: int = 0
    objective: str = "val/log_loss"
    progress: int = 10


@dataclass
class UIConfig:
    host: str = "127.0.0.1"
    port: int = 5000
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


@dataclass
class ReportConfig:
    parent: Optional[str] = None
    all_runs: bool = False
    metric: str = "val/log_loss"
    rows: int = 20
    output_dir: str = "reports"
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5050
    backend_store_uri: Optional[str] = None
    artifacts_destination: Optional[str] = None
    workers: Optional[int] = None


def compose(config_dir, name: str, overrides: list[str]) -> DictConfig:
    """Config ``name`` of ``config_dir`` composed with command-line ``overrides``, for the entry points
    that do not run under ``@hydra.main`` (``make ui``, ``make server``).

    Raises
    ------
    ConfigError
        Hydra's or OmegaConf's error (a wrong type, an unknown key or option) in one line.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(str(config_dir), version_base="1.3"):
            return hydra_compose(name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as error:
        cause = error.__cause__ or error
        detail = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        first = str(error).splitlines()[0].rstrip(".")
        raise ConfigError(first if detail in first else f"{first}: {detail}") from None


def check_quoting(argv: list[str]) -> None:
    """Refuse command-line overrides whose value holds non-ASCII characters outside quotes.

    Hydra's override grammar takes them only quoted (``dataset.path="'/data/données.csv'"``);
    unquoted it reports a LexerNoViableAltException that does not say so."""
    for arg in argv:
        key, sep, value = arg.partition("=")
        if sep and not arg.startswith("-") and not value.isascii() and value[:1] not in "'\"":
            raise ConfigError(
                f"{key}: Hydra reads a value with non-ASCII characters only inside quotes; write {key}=\"'{value}'\" "
                f"(the outer quotes for the shell; in make's ARGS: ARGS=\"{key}='{value}'\")"
            )


def register() -> None:
    """Register the schemas under the names the YAML defaults lists use."""
    cs = ConfigStore.instance()
    # Outside every config group, so neither `model=foo`'s list of options nor --help shows them.
    cs.store(name="config_schema", node=Config)
    cs.store(name="synthetic_dataset_schema", node=SyntheticDatasetConfig)
    cs.store(name="breast_cancer_dataset_schema", node=BreastCancerDatasetConfig)
    cs.store(name="csv_dataset_schema", node=CsvDatasetConfig)
    cs.store(name="logistic_model_schema", node=LogisticModelConfig)
    cs.store(name="mlp_model_schema", node=MLPModelConfig)
    cs.store(name="train_schema", node=TrainConfig)
    cs.store(name="ui_schema", node=UIConfig)
    cs.store(name="report_schema", node=ReportConfig)
    cs.store(name="server_schema", node=ServerConfig)


register()


# -- value checks ---------------------------------------------------------------------------

TASKS = ("train", "gradient_check")
SEED_RANGE = (0, 2**32 - 1)  # scikit-learn's random_state takes no more (NumPy's generators take any)
DTYPES = ("float32", "float64")
SYNTHETIC = ("moons", "circles", "xor")


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


def validate_ui(cfg: DictConfig) -> None:
    """What ``make ui`` takes that Hydra's schema cannot check."""
    _unknown_keys(cfg)
    validate_port(cfg)
    _experiment_name(cfg)


def validate_report(cfg: DictConfig) -> None:
    """What ``make report`` takes that Hydra's schema cannot check (the metric is checked against the runs)."""
    _unknown_keys(cfg)
    _whole_number(cfg, "rows", 1, 10**9)
    _experiment_name(cfg)


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
        _number(cfg, "model.hidden_width", 1)
        _choice(cfg, "model.activation", ACTIVATIONS)
    _number(cfg, "train.lr", 0, open_low=True)
    _number(cfg, "train.iterations", 1)
    if cfg.train.batch_size is not None:
        _number(cfg, "train.batch_size", 1)
    _number(cfg, "train.l2", 0)
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
    if cfg.dataset.name in SYNTHETIC:
        _number(cfg, "dataset.n_samples", 10)
        _number(cfg, "dataset.noise", 0)
    _experiment_name(cfg)
    if cfg.dataset.name == "csv" and (len(cfg.dataset.sep) != 1 and cfg.dataset.sep != "\\t"):
        raise ConfigError(f"dataset.sep must be one character (',', ';', '|', or '\\\\t' for a tab); got {cfg.dataset.sep!r}")
    if cfg.task == "gradient_check" and cfg.gradient_check is None:
        raise ConfigError("task=gradient_check needs a gradient_check section (see experiment=exercise1)")
