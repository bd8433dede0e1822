"""The core objects the ``model`` and ``optimizer`` configs describe."""

from __future__ import annotations

from omegaconf import DictConfig

from chainrule.core import MLP, Adam, GradientDescent, LogisticRegression, Momentum


def hidden_widths(model_cfg: DictConfig) -> tuple[int, ...]:
    """The widths of the hidden layers: ``hidden_widths`` when given, else ``(hidden_width,)``."""
    if model_cfg.hidden_widths is not None:
        return tuple(model_cfg.hidden_widths)
    return (model_cfg.hidden_width,)


def build_model(model_cfg: DictConfig, n_features: int, seed: int, dtype: str, n_classes: int = 2):
    """The core model a ``model`` config describes: a sigmoid output for two classes, a softmax for more."""
    if model_cfg.name == "mlp":
        return MLP(n_features, activation=model_cfg.activation, init=model_cfg.init, seed=seed, dtype=dtype,
                   hidden_widths=hidden_widths(model_cfg), n_classes=n_classes)
    return LogisticRegression(n_features, model_cfg.init, seed, dtype, n_classes=n_classes)


def build_optimizer(optimizer_cfg: DictConfig):
    """The core optimizer an ``optimizer`` config describes (its keys are scikit-learn's)."""
    if optimizer_cfg.name == "adam":
        return Adam(optimizer_cfg.beta_1, optimizer_cfg.beta_2, optimizer_cfg.epsilon)
    if optimizer_cfg.name in ("momentum", "nesterov"):
        return Momentum(optimizer_cfg.momentum, nesterov=optimizer_cfg.name == "nesterov")
    return GradientDescent()
