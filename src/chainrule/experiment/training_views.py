"""TensorFlow Playground's views of how a run trained: the decision surface at snapshots of
training, what each hidden neuron computes, the network itself, the loss landscape of §3.

:func:`recorder` says which weights training must keep (a :class:`chainrule.core.Snapshots`,
``fit``'s callback, which only reads); after training, :func:`figures` describes the views for the
figure helper — among them the snapshots' frames, logged as the image series
``decision_surface`` with step = iteration (what ``mlflow.log_image(key=..., step=...)`` logs, for
the run page's step slider) and as ``figures/training.gif``. ``figures.*`` in ``conf/figures/`` turns each on or off. "2-D data" is data of two feature
columns (the model's inputs may be more: ``dataset.features`` derives them).
"""

from __future__ import annotations

import numpy as np
from omegaconf import DictConfig

from chainrule.core import Snapshots, hidden_outputs
from chainrule.model.weights import Predictor
from chainrule.plots.classification import plane_grid
from chainrule.plots.specs import FigureSpec, SeriesSpec

SNAPSHOT_KEY = "decision_surface"
"""The image series of the snapshots on the run's page."""

LANDSCAPE_RESOLUTION = 60
"""Grid points per weight of the loss landscape (3,600 losses, a few milliseconds each 100)."""


def snapshot_steps(iterations: int, between: int) -> list[int]:
    """Steps of the decision-surface snapshots: 0 (the untrained network), ``iterations``, and
    ``between`` steps between them spaced on a log scale (fewer when ``iterations`` is small)."""
    inner = np.geomspace(1, iterations, between + 1) if between else [iterations]
    return sorted({0, *np.unique(np.round(inner).astype(int)).tolist()})


def is_2d(splits) -> bool:
    return len(splits.table.features) == 2


def has_landscape(cfg: DictConfig, model, splits) -> bool:
    """Logistic regression with two classes on two inputs: its loss is a surface over (w₁, w₂)."""
    return cfg.figures.loss_landscape and not _widths(model) and model.n_classes == 2 and model.n_features == 2


def _widths(model) -> tuple[int, ...]:
    return getattr(model, "hidden_widths", ())  # logistic regression: no hidden layer


def recorder(cfg: DictConfig, model, splits) -> Snapshots | None:
    """The snapshots training must keep for the views that are on, or None."""
    steps = set()
    if cfg.figures.over_training and is_2d(splits):
        steps.update(snapshot_steps(cfg.train.iterations, cfg.figures.snapshots))
    if has_landscape(cfg, model, splits):  # the path: every step (three numbers each)
        steps.update(range(cfg.train.iterations + 1))
    return Snapshots(model, steps) if steps else None


def _plane(splits, resolution: int):
    """Grid over the input plane around every split's points: raw (x₁, x₂) of shape (r², 2) and the extent."""
    g1, g2 = plane_grid(np.vstack([X for X, _ in splits.points(("train", "val", "test")).values()]), resolution)
    return np.column_stack([g1.ravel(), g2.ravel()]), (g1.min(), g1.max(), g2.min(), g2.max())


def _predictor(model, splits) -> Predictor:
    return Predictor.from_parts(model, splits.table.features, splits.scaler, splits.table.label_names, splits.derived)


def _maps(values: np.ndarray, resolution: int) -> np.ndarray:
    """(r², n) values over the grid → (n, r, r) maps."""
    return np.ascontiguousarray(values.T).reshape(-1, resolution, resolution)


def snapshot_frames(cfg: DictConfig, name: str, model, snapshots: Snapshots | None, splits) -> list[SeriesSpec]:
    """The decision surface (and with ``figures.neurons_over_training``, each neuron's map) at
    every snapshot, as the image series :data:`SNAPSHOT_KEY` with step = iteration and, with
    ``figures.animation``, ``figures/training.gif``; none without snapshots or 2-D data."""
    if snapshots is None or not (cfg.figures.over_training and is_2d(splits)):
        return []
    theta = snapshots.finish()
    last = max(theta)
    steps = [s for s in snapshot_steps(cfg.train.iterations, cfg.figures.snapshots) if s in theta]
    steps += [last] if last not in steps else []
    r, rn = cfg.figures.snapshot_resolution, cfg.figures.neuron_resolution
    grid, extent = _plane(splits, r)
    neuron_grid, _ = _plane(splits, rn)
    predictor = _predictor(model, splits)
    inputs, neuron_inputs = predictor.model_inputs(grid), predictor.model_inputs(neuron_grid)
    surfaces, captions, neurons = [], [], []
    for step in steps:
        model = snapshots.model_at(step)
        p = model.predict_proba(inputs)
        surfaces.append(p.reshape(r, r, *p.shape[1:]))
        loss = model.loss(splits.X["train"], splits.y["train"])
        captions.append(f"{'untrained' if step == 0 else 'after'} iteration {step}: training loss {loss:.4f}")
        if cfg.figures.neurons_over_training:
            neurons.append([_maps(H, rn) for H in hidden_outputs(model, neuron_inputs)])
    return [SeriesSpec("training", "surface_frames", (
        np.stack(surfaces), extent, splits.points(("train",)), splits.table.features, captions,
        f"{name}: ŷ over training", neurons if neurons and neurons[0] else None,
    ), key=SNAPSHOT_KEY, steps=tuple(steps), animate=cfg.figures.animation)]


def figures(cfg: DictConfig, name: str, model, splits, snapshots: Snapshots | None) -> list[FigureSpec]:
    """The neuron maps of each hidden layer and the network (2-D data: with the maps in its
    nodes), the loss landscape and the snapshots' frames — those that are on and apply."""
    specs = []
    two_d = is_2d(splits)
    if two_d and (cfg.figures.neurons or cfg.figures.network):
        r = cfg.figures.neuron_resolution
        grid, extent = _plane(splits, r)
        inputs = _predictor(model, splits).model_inputs(grid)
        hidden = [_maps(H, r) for H in hidden_outputs(model, inputs)]
    if two_d and cfg.figures.neurons:
        activations = getattr(model, "activation", None)
        for l, maps in enumerate(hidden, 1):
            g = activations if isinstance(activations, str) else activations[l - 1]
            specs.append(FigureSpec(f"neurons_layer{l}", "neuron_maps", (
                maps, extent, splits.table.features, f"{name}: what each neuron of layer {l} computes, {g}(a)")))
    if cfg.figures.network:
        maps = None
        if two_d:
            z = model.decision_function(inputs)
            z = z[:, None] if z.ndim == 1 else z - z.mean(axis=1, keepdims=True)  # softmax sees only differences
            maps = [_maps(inputs, r), *hidden, _maps(z, r)]
        specs.append(FigureSpec("network", "network_diagram", (
            _weights(model), _node_names(model, splits), f"{name}: the trained network"), {"maps": maps}))
    if snapshots is not None and has_landscape(cfg, model, splits):
        specs.append(_landscape(cfg, name, model, splits, snapshots))
    return specs + snapshot_frames(cfg, name, model, snapshots, splits)


def _weights(model) -> list[np.ndarray]:
    """The weight matrices from each column of nodes to the next, first layer first (no biases)."""
    W = [np.asarray(model.params[f"W{l}"]) for l in range(1, len(_widths(model)) + 1)]
    w = np.asarray(model.params["w"])
    return W + [w[None, :] if w.ndim == 1 else w]


def _node_names(model, splits) -> list[list[str]]:
    labels = splits.table.label_names
    outputs = [f"P({labels[1]})"] if model.n_classes == 2 else [str(labels[k]) for k in range(model.n_classes)]
    hidden = [[f"h{l}_{k}" for k in range(1, n + 1)] for l, n in enumerate(_widths(model), 1)]
    return [list(splits.inputs), *hidden, outputs]


def _landscape(cfg: DictConfig, name: str, model, splits, snapshots: Snapshots) -> FigureSpec:
    """Mean training loss (with the run's penalties) over a grid of (w₁, w₂) at the learnt bias."""
    theta = snapshots.finish()
    path = np.array([np.asarray(theta[s][1:]) for s in sorted(theta)])  # θ = [b, w₁, w₂] (eq. 17)
    end = np.asarray(model.params["w"], dtype=np.float64)
    low = np.minimum(path.min(axis=0), end - 1.0)
    high = np.maximum(path.max(axis=0), end + 1.0)
    margin = 0.25 * (high - low)
    w1, w2 = (np.linspace(lo - m, hi + m, LANDSCAPE_RESOLUTION) for lo, hi, m in zip(low, high, margin))
    probe = snapshots.model_at(max(theta))
    np.copyto(probe.theta, model.theta)  # the learnt bias (a restored best epoch's, with early stopping)
    A, T = probe.prepare(splits.X["train"], splits.y["train"])
    ws = probe.workspace(A.shape[0])
    loss = np.empty((w2.size, w1.size))
    for i, b in enumerate(w2):
        for j, a in enumerate(w1):
            probe.params["w"][...] = (a, b)
            loss[i, j] = probe.evaluate(A, T, ws, cfg.train.l1, cfg.train.l2)[0]
    bias = float(model.params["b"])
    return FigureSpec("loss_landscape", "loss_landscape", (
        w1, w2, loss, path, bias, list(splits.inputs), f"{name}\nthe loss over (w₁, w₂) and gradient descent's path"))
