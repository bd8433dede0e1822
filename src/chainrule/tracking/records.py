"""What a run records: its config as params, metric histories, small files, its dataset splits."""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
from mlflow.tracking.multimedia import compress_image_size
from mlflow.utils.mlflow_tags import MLFLOW_LOGGED_IMAGES
from mlflow.utils.time import get_current_time_millis
from mlflow.utils.validation import MAX_METRICS_PER_BATCH, MAX_PARAM_VAL_LENGTH, MAX_PARAMS_TAGS_PER_BATCH
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger("chainrule")


@contextlib.contextmanager
def without_mlflow_hints():
    """Silence three MLflow warnings that do not apply here.

    - integer columns may not hold missing values: the 0/1 label is an integer by design;
    - a local file path "can be interpreted in multiple ways": MLflow registers its local
      dataset source twice and picks it either way;
    - pandas 3's deprecation of comparing column names with a ``range``, which MLflow does when
      it saves an input example (``mlflow.models.utils``): MLflow's code, the same result today.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column")
        warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted in multiple ways")
        warnings.filterwarnings("ignore", message="Operation with range is deprecated", module="mlflow")
        yield


def flatten(cfg: DictConfig) -> dict[str, str]:
    """The resolved config as dotted keys, values as text within MLflow's length limit."""
    flat: dict[str, str] = {}

    def walk(node, prefix):
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(value, f"{prefix}{key}.")
        else:
            text = str(node)
            flat[prefix[:-1]] = text if len(text) <= MAX_PARAM_VAL_LENGTH else text[: MAX_PARAM_VAL_LENGTH - 1] + "…"

    walk(OmegaConf.to_container(cfg, resolve=True), "")
    return flat


def log_params(run_id: str, params: dict[str, str]) -> None:
    """Log params in batches of MLflow's maximum size."""
    items = [Param(k, v) for k, v in params.items()]
    client = MlflowClient()
    for start in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
        client.log_batch(run_id, params=items[start : start + MAX_PARAMS_TAGS_PER_BATCH])


def log_series(run_id: str, series: dict, scalars: dict[str, float] | None = None) -> None:
    """Log whole metric histories (step = iteration), in batches — never one call per step —
    and with them single values (``scalars``: name → value, at step 0).

    A history is a sequence (one value per step from 0) or a dict step → value (only the steps
    where something happened, such as a learning rate changing)."""
    now = int(time.time() * 1000)
    points = [
        Metric(key, float(v), now, step)
        for key, values in series.items()
        for step, v in (values.items() if isinstance(values, dict) else enumerate(values))
    ]
    points += [Metric(key, float(value), now, 0) for key, value in (scalars or {}).items()]
    client = MlflowClient()
    for start in range(0, len(points), MAX_METRICS_PER_BATCH):
        client.log_batch(run_id, metrics=points[start : start + MAX_METRICS_PER_BATCH], synchronous=True)


def log_files(files: dict[str, str]) -> None:
    """Log small text artifacts (name → content) with one artifact upload."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text)
        mlflow.log_artifacts(tmp)


def log_splits(splits, dataset_name: str, source: str | None) -> None:
    """Each split, raw features and target, as an MLflow dataset input of the active run.

    MLflow's SQL store looks for each dataset of the experiment (by name and digest), then inserts
    the missing ones: two jobs of a sweep logging the same split at the same moment can both find
    it missing, and the second insert then violates the table's unique key and fails the whole
    call (SQLite's "UNIQUE constraint failed", PostgreSQL's "duplicate key value"). That failure
    means another writer has just committed the row, so a second attempt finds it: each attempt
    either succeeds or leaves at least one more of our datasets stored, hence at most one attempt
    per dataset, plus one, ever fails this way. (The store rolls a failed call back entirely.)
    """
    with without_mlflow_hints():
        datasets = [
            mlflow.data.from_pandas(frame, source=source, targets=splits.table.target, name=f"{dataset_name}-{split}")
            for split, frame in splits.raw.items()
        ]
        for attempt in range(len(datasets) + 1):
            try:
                mlflow.log_inputs(datasets, contexts=list(splits.raw), tags_list=[None] * len(datasets))
                return
            except MlflowException as error:
                if attempt == len(datasets) or not _lost_insert_race(error):
                    raise
                log.debug("dataset logged by another job at the same moment; logging again: %s", error.message)


def _lost_insert_race(error: MlflowException) -> bool:
    """Whether a store error is a unique-key violation (another writer inserted the same row first),
    as SQLite and PostgreSQL word it, through the embedded store or a tracking server."""
    text = str(error.message)
    return "UNIQUE constraint failed" in text or "duplicate key value violates unique constraint" in text


def figure_delivery(run_id: str | None = None, images: bool = False):
    """Where the figures of run ``run_id`` (default: the active run) go, for :func:`chainrule.plots.helper.draw`;
    ``images``: they include image series (the run is tagged for the UI here, where the store is ours).

    Returns
    -------
    deliver : callable
        Uploads a folder of PNGs as the run's ``figures/`` artifacts; picklable, for the helper process.
    failed : callable
        Records on the run (tag ``chainrule.figures_error``) that its figures could not all be drawn.
    """
    run = mlflow.active_run() if run_id is None else MlflowClient().get_run(run_id)
    run_id = run.info.run_id
    if images:
        MlflowClient().set_tag(run_id, MLFLOW_LOGGED_IMAGES, "True")  # what mlflow.log_image sets

    def failed(message: str) -> None:
        log.error("figures of run %s not logged: %s", run_id, message)
        MlflowClient().set_tag(run_id, "chainrule.figures_error", message[:5000])

    return functools.partial(upload_figures, run.info.artifact_uri, mlflow.get_tracking_uri()), failed


def upload_figures(artifact_uri: str, tracking_uri: str, folder: Path) -> None:
    """Upload the files in ``folder`` to ``artifact_uri``/figures, and each subfolder ``<key>`` of
    ``<step>.png`` files as the image series ``key`` (in whichever process draws them)."""
    mlflow.set_tracking_uri(tracking_uri)  # resolves mlflow-artifacts: URIs of a tracking server
    repository = get_artifact_repository(artifact_uri)
    with tempfile.TemporaryDirectory() as tmp:
        for series in (p for p in folder.iterdir() if p.is_dir()):
            for png in series.glob("*.png"):
                _as_logged_image(png, series.name, int(png.stem), Path(tmp))
            shutil.rmtree(series)
        if any(Path(tmp).iterdir()):
            repository.log_artifacts(tmp, "images")
    repository.log_artifacts(str(folder), "figures")


def _as_logged_image(png: Path, key: str, step: int, images: Path) -> None:
    """Put ``png`` in ``images`` as ``mlflow.log_image(image, key=key, step=step)`` lays out the
    image series the run page's step slider reads: the PNG and a compressed WebP preview, named
    by key, step, timestamp and a uuid (``MlflowClient.log_image`` of MLflow 3.17; a test holds
    the names to MLflow's own). Written here rather than by ``log_image``, which also tags the
    run in the store: this runs in the figure helper, which never touches the store."""
    from PIL import Image  # Pillow, MLflow's and matplotlib's dependency

    name = f"{key.replace('/', '~')}+step+{step}+timestamp+{get_current_time_millis()}+{uuid.uuid4()}"
    shutil.copyfile(png, images / f"{name}.png")
    with Image.open(png) as image:
        compress_image_size(image).save(images / f"{name}+compressed.webp")
