"""Render time of every figure at its default size, on data of a real run (target: < 1 s each).

The views of how a run trained are timed as the pipeline describes them for the default run
(``make run``'s config, composed by Hydra) and saved as the figure helper saves them: the
snapshots' frames include their PNGs and the GIF.
"""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from sklearn.datasets import make_moons

from chainrule.core import MLP, GradientFlow, fit
from chainrule.experiment import run as pipeline
from chainrule.experiment import schemas, training_views
from chainrule.experiment.checks import drop_what_does_not_apply, validate
from chainrule.experiment.figures import run_figures
from chainrule.plots import figures as plots


def _render(make) -> float:
    start = time.perf_counter()
    make().savefig(io.BytesIO(), format="png")
    return time.perf_counter() - start


def _saved(spec) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        spec.save(Path(tmp))
        return time.perf_counter() - start


def run_views(*overrides: str) -> dict:
    """The figures the pipeline describes for a run of ``conf/config.yaml`` with ``overrides``
    (trained here, every view recording), by name."""
    schemas.register()
    cfg = hydra.compose("config", overrides=list(overrides))  # conf/, where make bench's own config is
    validate(cfg)
    drop_what_does_not_apply(cfg)
    splits, model = pipeline.prepare(cfg)
    snapshots, flow = training_views.recorder(cfg, model, splits), GradientFlow()
    history = pipeline.train(cfg, model, splits, callback=snapshots, gradient_flow=flow)
    proba = {split: model.predict_proba(X) for split, X in splits.X.items()}
    return {spec.name: spec for spec in run_figures(cfg, "bench", history, model, splits, proba, flow, snapshots)}


def run(repeats: int) -> pd.DataFrame:
    X, y = make_moons(500, noise=0.2, random_state=0)
    model = MLP(2, 8, "relu", init="he")
    history = fit(model, X[:300], y[:300], 0.5, 1000, validation_data=(X[300:400], y[300:400]))
    proba = {s: model.predict_proba(X[i]) for s, i in (("train", slice(0, 300)), ("val", slice(300, 400)), ("test", slice(400, 500)))}
    labels = {s: y[i] for s, i in (("train", slice(0, 300)), ("val", slice(300, 400)), ("test", slice(400, 500)))}
    points = {"train": (X[:300], y[:300]), "test": (X[400:], y[400:])}
    curves = pd.DataFrame([
        {"panel": m, "label": f"α = {lr:g}", "order": lr, "step": s, "loss": v}
        for m in ("logistic", "mlp") for lr in (0.001, 0.01, 0.1, 1.0) for s, v in enumerate(history.loss)
    ])
    widths = pd.DataFrame({"hidden_width": [1, 2, 4, 8, 16] * 2, "lr": [0.1] * 5 + [1.0] * 5, "test/accuracy": np.linspace(0.7, 0.95, 10)})
    grid = pd.DataFrame(np.random.default_rng(0).random((4, 4)), index=pd.Index([1, 2, 4, 8], name="width"),
                        columns=pd.Index([0.001, 0.01, 0.1, 1.0], name="lr"))
    figures = {
        "loss_curve": lambda: plots.loss_curve(history.loss, history.val_loss, "loss"),
        "roc_curve": lambda: plots.roc_curve(labels, proba, "ROC"),
        "confusion_matrix": lambda: plots.confusion_matrix(labels["test"], proba["test"], {0: "0", 1: "1"}, "confusion"),
        "decision_boundary": lambda: plots.decision_boundary(model.predict_proba, points, ["x1", "x2"], "boundary"),
        "gradient_flow (2 layers)": lambda: plots.gradient_flow(
            {"W1": history.loss * 0.1, "w": history.loss}, {"W1": history.loss * 1e-3, "w": history.loss * 1e-2}, "flow"),
        "loss_comparison (8 curves)": lambda: plots.loss_comparison(curves, "comparison"),
        "width_comparison": lambda: plots.width_comparison(widths, "test/accuracy", "widths"),
        "depth_comparison": lambda: plots.depth_comparison(
            widths.assign(depth=[1, 2, 3, 4, 5] * 2), "test/accuracy", "depths"),
        "width_boundaries (5 panels)": lambda: plots.boundaries_side_by_side(
            [(f"H = {h}", model.predict_proba) for h in (1, 2, 4, 8, 16)], points, ["x1", "x2"], "boundaries"),
        "heatmap (4 x 4)": lambda: plots.heatmap(grid, "val/log_loss", "grid"),
    }
    plots.load_backend()  # matplotlib's import is not part of any figure's time
    timed = {name: (lambda make=make: _render(make)) for name, make in figures.items()}
    default, logistic = run_views(), run_views("model=logistic")
    views = {
        "neuron maps (default run)": default["neurons_layer1"],
        "network diagram (default run)": default["network"],
        f"decision surface over training: {len(default['training'].steps)} frames as PNGs + GIF (default run)": default["training"],
        "loss landscape (logistic regression)": logistic["loss_landscape"],
    }
    timed |= {label: (lambda spec=spec: _saved(spec)) for label, spec in views.items()}
    rows = []
    for name, seconds_taken in timed.items():
        seconds = float(np.median([seconds_taken() for _ in range(repeats)]))
        rows.append({"figure": name, "seconds": round(seconds, 3), "target": "< 1", "met": seconds < 1.0})
    return pd.DataFrame(rows)
