"""The command line of the entry points: how they start and end, Hydra composition outside ``@hydra.main``, quoting."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable

from omegaconf import DictConfig

from chainrule.errors import ConfigError
from chainrule.runtime import process

log = logging.getLogger("chainrule")


def main(entry_point: Callable[[], object]) -> None:
    """Run a ``@hydra.main`` entry point with this project's exits: a non-ASCII value left unquoted
    refused in one line (exit 2); Ctrl-C or SIGTERM as 130 or 143, the runs already closed KILLED."""
    try:
        check_quoting(sys.argv[1:])
    except ConfigError as error:
        logging.basicConfig(format="%(message)s")
        log.error("configuration error: %s", error)
        sys.exit(2)
    try:
        entry_point()
    except KeyboardInterrupt:
        signal_name = process.interrupted or "SIGINT"
        log.warning("interrupted by %s: runs in progress ended KILLED", signal_name)
        sys.exit(128 + signal.Signals[signal_name].value)


def compose(config_dir, name: str, overrides: list[str], values: tuple[str, ...] = ()) -> DictConfig:
    """Config ``name`` of ``config_dir`` composed with command-line ``overrides``, for the entry points
    that do not run under ``@hydra.main`` (``make ui``, ``make server``).

    ``values`` are keys of this config named like a config group of ``config_dir`` (``model``: a
    model URI in conf/serve.yaml, a group of models for training). Hydra would take ``model=…``
    as a choice of that group; their overrides are parsed by Hydra's grammar all the same and set
    once the config is composed (its schema still checks their type).

    Raises
    ------
    ConfigError
        Hydra's or OmegaConf's error (a wrong type, an unknown key or option) in one line.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import OverrideType
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
        late = {o.key_or_group: o for o in parsed
                if o.key_or_group in values and o.type == OverrideType.CHANGE and o.package is None}
        with initialize_config_dir(str(config_dir), version_base="1.3"):
            cfg = hydra_compose(name, overrides=[o.input_line for o in parsed if o.key_or_group not in late])
        for key, override in late.items():
            try:
                cfg[key] = override.value()
            except OmegaConfBaseException as error:
                raise ConfigError(f"{key}: {str(error).splitlines()[0]}") from None
        return cfg
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
