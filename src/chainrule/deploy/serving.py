"""``make serve``: ``mlflow models serve`` on a model, in this environment, on loopback.

MLflow's scoring server does the serving (``/ping``, ``/health``, ``/version``,
``/invocations`` with ``dataframe_split`` / ``dataframe_records``); the model's signature makes
MLflow refuse a request without a feature column or with a value that is not a number (400)."""

from __future__ import annotations

import json
import shlex

from omegaconf import DictConfig


def command(cfg: DictConfig, model_uri: str, features: list[str]) -> tuple[list[str], list[str]]:
    """The arguments of ``python -m mlflow`` that serve ``model_uri``, and the lines to print first.

    ``--env-manager local``: the model runs in this virtualenv (the default would build one,
    which needs the network); one worker by default (``workers=``)."""
    url = f"http://{cfg.host}:{cfg.port}"
    arguments = ["models", "serve", "-m", model_uri, "--env-manager", "local", "-h", cfg.host,
                 "-p", str(cfg.port), "-w", str(cfg.workers)]
    example = json.dumps({"dataframe_split": {"columns": features, "data": [[0.0] * len(features)]}})
    lines = [
        f"serving {model_uri} at {url} (Ctrl-C stops it)",
        f"  health:  curl {url}/ping",
        f"  predict: curl -s {url}/invocations -H 'Content-Type: application/json' -d {shlex.quote(example)}",
        f"  (or \"dataframe_records\": [{json.dumps(dict.fromkeys(features, 0.0))}]; columns by name, in any order)",
    ]
    return arguments, lines
