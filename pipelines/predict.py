"""make predict: the champion model (or any) applied to a CSV file (conf/predict.yaml)."""

import sys
from pathlib import Path

from chainrule.deploy import models, predictions
from chainrule.errors import ConfigError
from chainrule.experiment import checks, schemas
from chainrule.runtime import cli
from chainrule.tracking import store

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    schemas.register()
    try:
        cfg = cli.compose(PROJECT_ROOT / "conf", "predict", argv, values=("model",))
        checks.validate_predict(cfg)
        client = store.connect(store.resolve_uri(cfg.tracking.uri, PROJECT_ROOT))
        model_uri = models.chosen(client, cfg.model, cfg.name)
        result = predictions.predict_file(model_uri, cfg.input, cfg.output, cfg.sep, cfg.chunk_rows, cfg.progress)
    except ConfigError as error:
        print(f"predict: {error}", file=sys.stderr)
        sys.exit(2)  # a setting or a file to fix, not a crash: no traceback, no output file
    print(f"wrote {result.rows:,} rows to {result.output} with {model_uri}")
    if result.target is not None:
        shown = ", ".join(f"{name} {value:.4f}" for name, value in result.scores.items())
        print(f"scored against column {result.target!r}: {shown}")


if __name__ == "__main__":
    main(sys.argv[1:])
