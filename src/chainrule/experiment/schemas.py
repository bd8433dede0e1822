"""Config schemas: the dataclasses every option of ``conf/`` extends, and their registration.

Every group option in ``conf/`` names one of these in its defaults list, so Hydra rejects a
misspelt key or a wrong type in YAML or on the command line. Ranges and names are checked by
:mod:`chainrule.experiment.checks`. :func:`register` must run before Hydra composes a config
(each entry point calls it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


# -- datasets -----------------------------------------------------------------------------


@dataclass
class SyntheticDatasetConfig:
    """moons, circles, xor: seeded 2-D point clouds from scikit-learn / NumPy."""

    name: str = MISSING
    n_samples: int = 500
    noise: float = 0.2
    features: Optional[list[str]] = None


@dataclass
class MulticlassSyntheticDatasetConfig:
    """blobs, spiral: seeded 2-D point clouds of ``n_classes`` classes (TensorFlow Playground's gauss, spiral)."""

    name: str = MISSING
    n_samples: int = 500
    noise: float = 0.2
    n_classes: int = 3
    features: Optional[list[str]] = None


@dataclass
class BundledDatasetConfig:
    """A table bundled with scikit-learn (no download): breast_cancer, iris, wine, digits."""

    name: str = MISSING


@dataclass
class CsvDatasetConfig:
    """Any CSV file read with pandas; the target column holds the classes (2 to ``max_classes``)."""

    name: str = "csv"
    path: str = MISSING
    target: str = MISSING
    features: Optional[list[str]] = None
    sep: str = ","
    max_classes: int = 50


# -- models -------------------------------------------------------------------------------


MLP_ONLY = ("hidden_width", "hidden_widths", "activation")
"""Settings of the MLP that a logistic model does not have (it is the network with no hidden layer)."""


@dataclass
class LogisticModelConfig:
    """Logistic regression. The MLP's settings are here only so that one sweep can cross model
    kinds (``-m model=logistic,mlp model.hidden_width=16``): its jobs run without them."""

    name: str = "logistic"
    init: str = "small"
    hidden_width: Optional[int] = None
    hidden_widths: Optional[list[int]] = None
    activation: Optional[str] = None


@dataclass
class MLPModelConfig:
    """``hidden_widths`` (one width per hidden layer), when given, replaces ``hidden_width``."""

    name: str = "mlp"
    hidden_width: Optional[int] = 2
    hidden_widths: Optional[list[int]] = None
    activation: str = "relu"
    init: str = "he"


# -- optimizers (scikit-learn's names and defaults) ---------------------------------------
# ``suggested_lr``: a learning rate that suits the optimizer on this project's data; training
# uses ``train.lr`` — only ``sweep=optimizers`` takes each optimizer's own.


@dataclass
class GDOptimizerConfig:
    """Plain gradient descent, eq. 20 (the seed's)."""

    name: str = "gd"
    suggested_lr: float = 0.5


@dataclass
class MomentumOptimizerConfig:
    """Heavy-ball momentum (``name: momentum``) or Nesterov's (``name: nesterov``)."""

    name: str = "momentum"
    momentum: float = 0.9
    suggested_lr: float = 0.05


@dataclass
class AdamOptimizerConfig:
    name: str = "adam"
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    suggested_lr: float = 0.01


# -- the rest -----------------------------------------------------------------------------


@dataclass
class TrainConfig:
    lr: float = 0.1
    iterations: int = 1000
    batch_size: Optional[int] = None
    shuffle: bool = True
    l1: float = 0.0
    l2: float = 0.0
    schedule: str = "constant"
    power_t: float = 0.5
    early_stopping: bool = False
    monitor: str = "validation_loss"
    patience: int = 10
    tol: float = 1e-4
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
class RegistryConfig:
    """What a sweep registers in MLflow's Model Registry when it ends."""

    enabled: bool = True
    name: Optional[str] = None


@dataclass
class FiguresConfig:
    """What a run draws (conf/figures/: ``all`` for one run, ``sweep`` for the sweep presets)."""

    log_scale: bool = True
    resolution: int = 150
    background: bool = True
    gradient_flow: bool = True
    over_training: bool = True
    snapshots: int = 12
    snapshot_resolution: int = 80
    animation: bool = True
    neurons: bool = True
    neurons_over_training: bool = False
    neuron_resolution: int = 32
    network: bool = True
    loss_landscape: bool = True


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
    optimizer: Any = MISSING
    train: TrainConfig = field(default_factory=TrainConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    registry: RegistryConfig = field(default_factory=RegistryConfig)
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
class PromoteConfig:
    run: Optional[str] = None
    name: Optional[str] = None
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


@dataclass
class ServeConfig:
    model: Optional[str] = None
    name: str = "chainrule-moons"
    host: str = "127.0.0.1"
    port: int = 5001
    workers: int = 1
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


@dataclass
class PredictConfig:
    input: Optional[str] = None
    output: Optional[str] = None
    model: Optional[str] = None
    name: str = "chainrule-moons"
    sep: str = ","
    chunk_rows: int = 100000
    progress: bool = True
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5050
    backend_store_uri: Optional[str] = None
    artifacts_destination: Optional[str] = None
    workers: Optional[int] = None
    auth: bool = False
    admin_username: str = "admin"
    admin_password_file: Optional[str] = None
    default_permission: str = "READ"


@dataclass
class UserConfig:
    """``make user``: a new account on a server with users."""

    name: Optional[str] = None
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


@dataclass
class GrantConfig:
    """``make grant``: a user's permission on one experiment."""

    user: Optional[str] = None
    experiment: str = "chainrule"
    permission: Optional[str] = None
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


def register() -> None:
    """Register the schemas under the names the YAML defaults lists use."""
    cs = ConfigStore.instance()
    # Outside every config group, so neither `model=foo`'s list of options nor --help shows them.
    cs.store(name="config_schema", node=Config)
    cs.store(name="synthetic_dataset_schema", node=SyntheticDatasetConfig)
    cs.store(name="multiclass_synthetic_dataset_schema", node=MulticlassSyntheticDatasetConfig)
    cs.store(name="bundled_dataset_schema", node=BundledDatasetConfig)
    cs.store(name="csv_dataset_schema", node=CsvDatasetConfig)
    cs.store(name="logistic_model_schema", node=LogisticModelConfig)
    cs.store(name="mlp_model_schema", node=MLPModelConfig)
    cs.store(name="gd_optimizer_schema", node=GDOptimizerConfig)
    cs.store(name="momentum_optimizer_schema", node=MomentumOptimizerConfig)
    cs.store(name="adam_optimizer_schema", node=AdamOptimizerConfig)
    cs.store(name="train_schema", node=TrainConfig)
    cs.store(name="ui_schema", node=UIConfig)
    cs.store(name="report_schema", node=ReportConfig)
    cs.store(name="server_schema", node=ServerConfig)
    cs.store(name="promote_schema", node=PromoteConfig)
    cs.store(name="serve_schema", node=ServeConfig)
    cs.store(name="predict_schema", node=PredictConfig)
    cs.store(name="user_schema", node=UserConfig)
    cs.store(name="grant_schema", node=GrantConfig)

