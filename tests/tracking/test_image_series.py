"""A run's image series (the snapshots of training) are laid out as ``mlflow.log_image`` lays them
out, though the figure helper writes them without it: the run page's step slider reads the names."""

import re

import mlflow
import numpy as np
from PIL import Image

from chainrule.tracking import records
from tests.conftest import artifact_paths

STEPS = (0, 3, 40)


def frame(step: int) -> np.ndarray:
    return np.full((90, 120, 3), step * 5, dtype=np.uint8)


def masked(path: str) -> str:
    """An image path with its timestamp and uuid (different on every call) masked."""
    return re.sub(r"\+timestamp\+\d+\+[0-9a-f-]{36}", "+timestamp+T+UUID", path)


def test_an_uploaded_series_has_the_names_files_and_tag_of_mlflow_log_image(store, tmp_path):
    client = store.client
    experiment = client.create_experiment("images")
    with mlflow.start_run(experiment_id=experiment) as theirs:
        for step in STEPS:
            mlflow.log_image(frame(step), key="decision_surface", step=step, synchronous=True)
    with mlflow.start_run(experiment_id=experiment) as ours:
        folder = tmp_path / "drawn"
        (folder / "decision_surface").mkdir(parents=True)
        for step in STEPS:
            Image.fromarray(frame(step)).save(folder / "decision_surface" / f"{step}.png")
        (folder / "loss_curve.png").write_bytes(b"png")
        deliver, _ = records.figure_delivery(images=True)
        deliver(folder)
    expected = sorted(masked(p) for p in artifact_paths(client, theirs.info.run_id))
    got = sorted(masked(p) for p in artifact_paths(client, ours.info.run_id))
    assert got == sorted(expected + ["figures/loss_curve.png"])  # the series is not among the figures
    assert len(expected) == 2 * len(STEPS)  # a PNG and a WebP preview per step
    for run in (theirs, ours):
        assert client.get_run(run.info.run_id).data.tags["mlflow.loggedImages"] == "True"
    for path in artifact_paths(client, ours.info.run_id):
        if path.startswith("images/"):
            step = int(re.search(r"\+step\+(\d+)\+", path).group(1))
            with Image.open(client.download_artifacts(ours.info.run_id, path, str(tmp_path))) as image:
                if path.endswith(".png"):
                    assert np.array_equal(np.asarray(image), frame(step))  # the frame itself
                else:
                    assert image.format == "WEBP"
