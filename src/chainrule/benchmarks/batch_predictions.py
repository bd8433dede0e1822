"""``make predict`` on a big file: rows scored per second, and peak memory against the file's size.

A small model is trained on a generated CSV into a throw-away store (``pipelines/train.py``, as
``make run`` does), then a large CSV of the same columns is scored by
:func:`~chainrule.deploy.predictions.predict_file` in a fresh Python process (this module run as
a script), measured as :mod:`~chainrule.benchmarks.large_data` measures training: the baseline is
the resident set once MLflow and pandas are imported and the model is loaded, and the extra memory
is the peak (``VmHWM``) − that baseline. The target is that it stays within a few times the file's
in-memory size: the DataFrame ``pandas.read_csv`` makes of the whole file,
``memory_usage(deep=True).sum()``, read in the parent process. That is what scoring the file in
one piece would hold before any copy; chunked scoring is meant to stay below it. The extra
includes what scoring the target costs: scikit-learn's metrics, imported by ``predict_file`` once
every row is written, and their temporaries over the whole file's labels and probabilities.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient

from chainrule.benchmarks.large_data import MB, _reset_peak, _status_bytes, make_data
from chainrule.benchmarks.pipeline_speed import _env, _uri
from chainrule.deploy.predictions import predict_file

TARGET = "y"
"""The label column: in the training file, and in the scored file too, so that scoring it is measured."""


@dataclass(frozen=True)
class Case:
    """One large CSV scored in chunks of ``chunk_rows`` by a model of ``hidden_width`` hidden units."""

    n_samples: int
    n_features: int
    hidden_width: int
    chunk_rows: int
    train_rows: int
    train_iterations: int


def write_csv(path: Path, n_samples: int, n_features: int, seed: int) -> None:
    """Features ``f0..f<n-1>`` and a 0/1 label column ``y`` from large_data's fixed linear rule."""
    X, y = make_data(n_samples, n_features, "float64", seed=seed)
    table = pd.DataFrame(X, columns=[f"f{j}" for j in range(n_features)])
    table[TARGET] = y.astype(int)  # labels as a user's file holds them, not 0.0 / 1.0
    table.to_csv(path, index=False)


def frame_bytes(path: Path) -> int:
    """The in-memory size of the whole file as one DataFrame (``pandas.read_csv``, deep)."""
    return int(pd.read_csv(path).memory_usage(deep=True).sum())


def train_model(project_root: Path, folder: Path, case: Case) -> str:
    """Train on a small generated CSV into ``folder``'s own store; the logged model's ``runs:/`` URI."""
    data = folder / "train.csv"
    write_csv(data, case.train_rows, case.n_features, seed=1)
    command = [
        sys.executable, str(project_root / "pipelines" / "train.py"), "dataset=csv", f"dataset.path={data}",
        f"dataset.target={TARGET}", f"model.hidden_width={case.hidden_width}",
        f"train.iterations={case.train_iterations}", "progress=0", f"hydra.run.dir={folder / 'out'}",
        # No figure: the model is all this section needs (the 2-D views do not apply to 20 features anyway).
        "figures=sweep", "figures.gradient_flow=false", "figures.network=false", "figures.loss_landscape=false",
    ]
    done = subprocess.run(command, cwd=folder, env=_env(_uri(folder)), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"training the batch-prediction model failed ({done.returncode}):\n{done.stderr}")
    client = MlflowClient(_uri(folder))
    (run,) = client.search_runs([e.experiment_id for e in client.search_experiments()])
    return f"runs:/{run.info.run_id}/model"


def measure_here(model_uri: str, input_path: str, output_path: str, chunk_rows: int) -> dict:
    """Load the model, then score the file in this process; what the child prints.

    Returns
    -------
    dict
        Rows scored, baseline and peak resident memory, seconds of ``predict_file``, whether the
        target column was scored.
    """
    # Loaded once before the baseline: the model's own modules and MLflow's loaders are imported
    # then, so that their memory is not counted as the file's (predict_file loads it again).
    mlflow.pyfunc.load_model(model_uri)
    _reset_peak()
    baseline = _status_bytes("VmRSS")
    start = time.perf_counter()
    result = predict_file(model_uri, input_path, output_path, chunk_rows=chunk_rows, progress=False)
    seconds = time.perf_counter() - start
    return {
        "rows": result.rows,
        "baseline_bytes": baseline,
        "peak_bytes": _status_bytes("VmHWM"),
        "seconds": seconds,
        "scored_target": result.target is not None,
    }


def measure(model_uri: str, input_path: Path, output_path: Path, chunk_rows: int, env: dict) -> dict:
    """:func:`measure_here` in a fresh Python process (``env`` names the store the model is in)."""
    command = [sys.executable, "-m", __name__, model_uri, str(input_path), str(output_path), str(chunk_rows)]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"the batch-prediction case failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def _row(case: Case, result: dict, file_bytes: int, max_ratio: float) -> dict:
    extra = result["peak_bytes"] - result["baseline_bytes"]
    ratio = extra / file_bytes
    return {
        "rows x cols": f"{case.n_samples}x{case.n_features}+{TARGET}",
        "chunk": case.chunk_rows,
        "hidden": case.hidden_width,
        "target scored": result["scored_target"],
        "file_MB": round(file_bytes / MB, 1),
        "baseline_MB": round(result["baseline_bytes"] / MB, 1),
        "peak_MB": round(result["peak_bytes"] / MB, 1),
        "extra_MB": round(extra / MB, 1),
        "extra/file": round(ratio, 2),
        "target": f"<= {max_ratio:g}",
        "met": ratio <= max_ratio,
        "rows_per_s": round(result["rows"] / result["seconds"]),
        "predict_s": round(result["seconds"], 2),
    }


def run(project_root: Path, case: Case, max_ratio: float) -> pd.DataFrame:
    """Train the model, write the big file, score it in a fresh process; a one-row table."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model_uri = train_model(project_root, folder, case)
        data = folder / "big.csv"
        write_csv(data, case.n_samples, case.n_features, seed=2)  # not timed: only the scoring is
        file_bytes = frame_bytes(data)
        result = measure(model_uri, data, folder / "predictions.csv", case.chunk_rows, _env(_uri(folder)))
    return pd.DataFrame([_row(case, result, file_bytes, max_ratio)])


if __name__ == "__main__":
    uri, source, destination, chunk = sys.argv[1:]
    print(json.dumps(measure_here(uri, source, destination, int(chunk))))
