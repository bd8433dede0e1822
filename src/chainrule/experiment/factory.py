"""The core model a ``model`` config describes."""

from __future__ import annotations

from omegaconf import DictConfig

from chainrule.core import MLP, LogisticRegression


def build_model(model_cfg: DictConfig, n_features: int, seed: int, dtype: str):
    """The core model a ``model`` config describes."""
    if model_cfg.name == "mlp":
        return MLP(n_features, model_cfg.hidden_width, model_cfg.activation, model_cfg.init, seed, dtype)
    return LogisticRegression(n_features, model_cfg.init, seed, dtype)
