"""The settings of ``make user`` and ``make grant``, checked before the server is asked anything."""

from __future__ import annotations

from omegaconf import DictConfig

from chainrule.errors import ConfigError
from chainrule.experiment.checks import PERMISSIONS, _unknown_keys


def _server_uri(cfg: DictConfig, command: str) -> None:
    uri = cfg.tracking.uri
    if not (uri or "").startswith(("http://", "https://")):
        raise ConfigError(f"{command} talks to a tracking server (make server ARGS=\"auth=true\"): export "
                          f"MLFLOW_TRACKING_URI=http://host:port or pass tracking.uri=http://…; got {uri!r}")


def validate_user(cfg: DictConfig) -> None:
    """``make user``'s settings, ``tracking.uri`` resolved already."""
    _unknown_keys(cfg)
    if not isinstance(cfg.name, str) or not cfg.name.strip():
        raise ConfigError('name: which account to create? make user ARGS="name=<user>" (its password from '
                          "$CHAINRULE_USER_PASSWORD, or asked for)")
    _server_uri(cfg, "make user")


def validate_grant(cfg: DictConfig) -> None:
    """``make grant``'s settings, ``tracking.uri`` resolved already."""
    _unknown_keys(cfg)
    if not isinstance(cfg.user, str) or not cfg.user.strip():
        raise ConfigError('user: whose permission? make grant ARGS="user=<user> experiment=chainrule permission=EDIT"')
    if cfg.permission not in PERMISSIONS:
        raise ConfigError(f"permission must be one of {', '.join(PERMISSIONS)} (READ: see runs; EDIT: log them too; "
                          f"MANAGE: also grant others); got {cfg.permission!r}")
    if not isinstance(cfg.experiment, str) or not cfg.experiment.strip():
        raise ConfigError(f"experiment must name an MLflow experiment (a non-empty text); got {cfg.experiment!r}")
    _server_uri(cfg, "make grant")
