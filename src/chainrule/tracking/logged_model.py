"""The trained model as MLflow records it: a pyfunc model "from code", weights in a pickle-free ``.npz``."""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import tempfile
from modulefinder import ModuleFinder
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature, infer_signature
from mlflow.types.schema import ColSpec, DataType, Schema

import chainrule
from chainrule.model import weights
from chainrule.tracking.records import without_mlflow_hints


PYFUNC = "chainrule.model.pyfunc"
"""The module MLflow runs to rebuild a logged model ("models from code")."""


@functools.cache  # once per process: every job of a sweep logs a model made of the same code
def model_code() -> tuple[Path, ...]:
    """The source files a logged model needs to load and predict: :mod:`chainrule.model.pyfunc`
    and every module of ``chainrule`` it imports, directly or not (the core and the weights' loader),
    found by reading their imports (``modulefinder``), relative to the folder holding ``chainrule``.

    Not the pipeline, tracking and benchmark modules a prediction never imports: a smaller model,
    and a third of the files to upload per run to a tracking server.
    """
    root = Path(chainrule.__file__).parent.parent
    # Its file, not the module: importing it would run its mlflow.models.set_model in this process.
    script = importlib.util.find_spec(PYFUNC).origin
    finder = ModuleFinder(path=[str(root)])  # only this source tree: NumPy, MLflow, … are not followed
    finder.run_script(script)
    files = {Path(script)} | {Path(m.__file__) for name, m in finder.modules.items()
                              if name.split(".")[0] == "chainrule" and m.__file__}
    return tuple(sorted(f.relative_to(root) for f in files))


def model_package() -> Path:
    """A copy of the ``chainrule`` package cut down to :func:`model_code`: what travels with each logged
    model (its ``code/``; MLflow copies it into the model). Made once per process, in a temporary folder
    that process removes when it exits (a forked child makes its own)."""
    return _package_of(os.getpid())


@functools.cache  # the same files for every model a process logs: copied once (21 files, ≈ 8 ms a run here)
def _package_of(pid: int) -> Path:
    root = Path(chainrule.__file__).parent.parent
    folder = Path(tempfile.mkdtemp(prefix="chainrule-model-code-"))
    atexit.register(lambda: os.getpid() == pid and shutil.rmtree(folder, ignore_errors=True))
    for relative in model_code():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, folder / relative)
    return folder / "chainrule"


def feature_columns(names) -> Schema:
    """The model's input schema: every feature column by name, required, a double.

    So MLflow itself checks a request before the model sees it: a missing column, or a value
    that is not a number, is refused naming the column (``mlflow models serve`` answers 400).
    MLflow casts a served JSON payload to these types (whole numbers included) but refuses an
    int64 column handed to ``predict`` in Python ("Can not safely convert int64 to float64"):
    ``pandas.read_csv`` reads a column of whole numbers so; ``make predict`` reads a CSV the way
    training does (:mod:`chainrule.deploy.predictions`)."""
    return Schema([ColSpec(DataType.double, name) for name in names])


def log_model(predictor_parts: dict, example: pd.DataFrame) -> str:
    """Log the trained model as an MLflow pyfunc model "from code", weights in a pickle-free ``.npz``.

    Parameters
    ----------
    predictor_parts : dict
        ``model``, ``features``, ``scaler``, ``label_names``, ``derived`` and ``target`` for
        :func:`chainrule.model.weights.save`.
    example : DataFrame
        A few raw feature rows: the model's input example; with its predictions, the signature.

    Returns
    -------
    str
        The id of the logged model.
    """
    predictor = weights.Predictor.from_parts(**predictor_parts)
    prediction = pd.DataFrame(predictor.outputs(predictor.inputs(example)))
    with tempfile.TemporaryDirectory() as tmp, without_mlflow_hints():
        weights_file = Path(tmp) / "weights.npz"
        weights.save(weights_file, **predictor_parts)
        package = model_package()
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(package / "model" / "pyfunc.py"),
            artifacts={"weights": str(weights_file)},
            code_paths=[str(package)],
            signature=ModelSignature(feature_columns(example.columns), infer_signature(example, prediction).outputs),
            input_example=example,
            pip_requirements=[f"mlflow=={mlflow.__version__}", f"numpy=={np.__version__}", f"pandas=={pd.__version__}"],
        )
    return info.model_id
