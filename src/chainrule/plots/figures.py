"""Figures (matplotlib, Agg backend). Each function returns a Figure; the caller saves or logs it.

Figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot``: nothing is
registered in pyplot's global figure list, so a long sweep in one process does not pile up
open figures, and a figure is freed as soon as it is logged. One style for all of them:
:data:`STYLE`, a title, labelled axes (with their scale), a legend where lines need names.

matplotlib and scikit-learn's displays (:mod:`chainrule.plots.backend`, 2 s to import here)
load when the first figure is drawn, not with this module: a process that only describes
figures for the helper to draw — a sweep's launching process — checks each one against these
signatures (:class:`chainrule.plots.specs.FigureSpec`) without importing them.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Callable

import numpy as np
import pandas as pd


def _lazy(name: str):
    """Module ``name``, executed on its first attribute access (the recipe of importlib's LazyLoader)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


mpl = _lazy("chainrule.plots.backend")


def load_backend() -> None:
    """Import matplotlib and the displays now (a helper does it while the sweep prepares)."""
    mpl.Figure  # noqa: B018  (the first attribute access executes the module)


STYLE = {"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False}
# The figures drawn for every run use fixed margins instead of a layout engine: measuring the
# labels for constrained layout was a third of their render time, paid once per run of a sweep.
FIXED_MARGINS = {"left": 0.14, "right": 0.95, "bottom": 0.12, "top": 0.92}
CLASS_COLORS = ("tab:blue", "tab:red")  # label 0, label 1
PROBABILITY_MAP = "RdBu_r"  # blue where ŷ → 0, red where ŷ → 1, as the points


def _plain_log_axis(ax) -> None:
    """Log-scale y axis labelled 0.3, 0.4, … rather than 3×10⁻¹ (clearer, and no mathtext to typeset)."""
    ax.set_yscale("log")
    plain = mpl.FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)


def loss_curve(train: np.ndarray, val: np.ndarray | None, title: str, log_scale: bool = True):
    """Training (and validation) loss per iteration.

    Parameters
    ----------
    train, val : ndarray of shape (n_iterations,)
        Mean binary cross-entropy per iteration; ``val`` may be None.
    title : str
    log_scale : bool
        Log-scale loss axis (losses span decades when training works).
    """
    with mpl.rc_context(STYLE):
        fig = mpl.Figure(figsize=(6.4, 4.0))
        fig.subplots_adjust(**FIXED_MARGINS)
        ax = fig.subplots()
        steps = np.arange(len(train))
        ax.plot(steps, train, label="train", color="tab:blue")
        if val is not None:
            ax.plot(steps, val, label="validation", color="tab:orange")
        ax.set(title=title, xlabel="iteration", ylabel="mean BCE loss" + (" (log scale)" if log_scale else ""))
        if log_scale:
            _plain_log_axis(ax)
        ax.legend()
    return fig


def roc_curve(y_true: dict[str, np.ndarray], proba: dict[str, np.ndarray], title: str):
    """ROC curves of several splits on one axes (scikit-learn's RocCurveDisplay), AUC in the legend.

    Parameters
    ----------
    y_true, proba : dict
        Split name → labels (n,) and → predicted probabilities of label 1 (n,).
    """
    with mpl.rc_context(STYLE):
        fig = mpl.Figure(figsize=(5.2, 5.0))
        fig.subplots_adjust(**FIXED_MARGINS)
        ax = fig.subplots()
        for split, labels in y_true.items():
            mpl.RocCurveDisplay.from_predictions(labels, proba[split], name=split, ax=ax)
        ax.plot([0, 1], [0, 1], ls=":", color="grey", label="chance")
        ax.set(title=title, xlabel="false positive rate", ylabel="true positive rate", aspect="equal")
        ax.legend(loc="lower right")
    return fig


def confusion_matrix(y_true: np.ndarray, proba: np.ndarray, label_names: dict[int, str], title: str):
    """Confusion matrix at threshold 0.5 (scikit-learn's ConfusionMatrixDisplay), original label names."""
    with mpl.rc_context(STYLE | {"axes.grid": False}):
        fig = mpl.Figure(figsize=(4.8, 4.2))
        fig.subplots_adjust(**FIXED_MARGINS | {"top": 0.86})  # room for a two-line title
        ax = fig.subplots()
        mpl.ConfusionMatrixDisplay.from_predictions(
            y_true, (proba >= 0.5).astype(np.int64), labels=[0, 1],
            display_labels=[label_names[0], label_names[1]], cmap="Blues", colorbar=False, ax=ax,
        )
        ax.set(title=title, xlabel="predicted label", ylabel="true label")
    return fig


def _probability_surface(ax, predict_proba: Callable, X: np.ndarray, resolution: int):
    """Filled contours of ŷ over the box around ``X`` (raw feature units); returns the mappable."""
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * (high - low) + 1e-9
    g1, g2 = np.meshgrid(*(np.linspace(lo - m, hi + m, resolution) for lo, hi, m in zip(low, high, margin)))
    p = predict_proba(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    surface = ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap=PROBABILITY_MAP, alpha=0.75)
    ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=1.2)
    return surface


def decision_boundary(
    predict_proba: Callable, points: dict[str, tuple[np.ndarray, np.ndarray]], features: list[str], title: str,
    resolution: int = 150, ax=None,
):
    """The model's probability surface ŷ(x₁, x₂) with the data on it; the ŷ = 0.5 line in black.

    Parameters
    ----------
    predict_proba : callable
        Raw features of shape (n, 2) → probabilities of label 1, shape (n,).
    points : dict
        Split name → (X of shape (n, 2), y of shape (n,)); "train" drawn as dots, others as crosses.
    features : list of str
        The two feature names, for the axis labels.
    resolution : int
        Grid points per axis.
    ax : Axes, optional
        Draw into this axes (for side-by-side panels) instead of a new figure.
    """
    own = ax is None
    with mpl.rc_context(STYLE | {"axes.grid": False}):
        if own:
            fig = mpl.Figure(figsize=(6.0, 5.0))
            fig.subplots_adjust(**FIXED_MARGINS)
            ax = fig.subplots()
        X_all = np.vstack([X for X, _ in points.values()])
        surface = _probability_surface(ax, predict_proba, X_all, resolution)
        for split, (X, y) in points.items():
            marker = "o" if split == "train" else "X"
            for label in (0, 1):
                chosen = y == label
                ax.scatter(X[chosen, 0], X[chosen, 1], s=18 if split == "train" else 36, marker=marker,
                           c=CLASS_COLORS[label], edgecolors="k", linewidths=0.4, label=f"{split}, label {label}")
        ax.set(title=title, xlabel=features[0], ylabel=features[1])
        if own:
            ax.legend(loc="upper right", fontsize="small", framealpha=0.8)
            fig.colorbar(surface, ax=ax, label="predicted probability of label 1")
            return fig
    return ax


def loss_comparison(curves: pd.DataFrame, title: str):
    """The seed's Exercise 2 plot: loss curves overlaid, one panel per model, log-scale loss.

    Parameters
    ----------
    curves : DataFrame
        Long format, one row per point: ``panel`` (model), ``label`` (legend entry, e.g. the
        learning rate), ``order`` (sorts the legend and picks the colour), ``step``, ``loss``.
        A label ending in "(diverged)" gets a ✕ where its training stopped.
    title : str
    """
    panels = sorted(curves["panel"].unique())
    lines = curves[["label", "order"]].drop_duplicates().sort_values(["order", "label"])["label"].tolist()
    colors = dict(zip(lines, mpl.colormaps["viridis"](np.linspace(0, 0.9, len(lines)))))
    with mpl.rc_context(STYLE):
        fig = mpl.Figure(figsize=(5.2 * len(panels), 4.0), layout="constrained")
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)
        for ax, panel in zip(axes[0], panels):
            for label in lines:
                points = curves[(curves["panel"] == panel) & (curves["label"] == label)].sort_values("step")
                if len(points):
                    ax.plot(points["step"], points["loss"], color=colors[label], label=label)
                    if label.endswith("(diverged)"):  # where training stopped
                        ax.plot(points["step"].iloc[-1], points["loss"].iloc[-1], "x", color=colors[label], ms=10, mew=2)
            ax.set(title=panel, xlabel="iteration")
            _plain_log_axis(ax)
            ax.legend()
        axes[0][0].set_ylabel("training loss (log scale)")
        fig.suptitle(title)
    return fig


def _score_against(scores: pd.DataFrame, column: str, metric: str, title: str, xlabel: str, log2: bool):
    """A final score against one swept setting, one line per learning rate."""
    with mpl.rc_context(STYLE):
        fig = mpl.Figure(figsize=(6.4, 4.0), layout="constrained")
        ax = fig.subplots()
        for lr, group in scores.sort_values(column).groupby("lr"):
            ax.plot(group[column], group[metric], "o-", label=f"α = {lr:g}")
        if log2:
            ax.set_xscale("log", base=2)
        ticks = sorted(scores[column].unique())
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.set(title=title, xlabel=xlabel, ylabel=metric)
        ax.legend(title="learning rate")
    return fig


def width_comparison(scores: pd.DataFrame, metric: str, title: str):
    """Exercise 3 generalised: a final score against the hidden width (log₂ axis), one line per learning rate.

    Parameters
    ----------
    scores : DataFrame
        Columns ``hidden_width``, ``lr`` and ``metric``.
    """
    return _score_against(scores, "hidden_width", metric, title, "hidden width H (log₂ scale)", log2=True)


def depth_comparison(scores: pd.DataFrame, metric: str, title: str):
    """A final score against the number of hidden layers, one line per learning rate.

    Parameters
    ----------
    scores : DataFrame
        Columns ``depth`` (hidden layers), ``lr`` and ``metric``.
    """
    return _score_against(scores, "depth", metric, title, "hidden layers L", log2=False)


def boundaries_side_by_side(panels: list[tuple[str, Callable]], points, features: list[str], title: str, resolution: int = 100):
    """Decision boundaries of several models next to each other, on the same data."""
    with mpl.rc_context(STYLE | {"axes.grid": False}):
        fig = mpl.Figure(figsize=(3.6 * len(panels), 3.6), layout="constrained")
        axes = fig.subplots(1, len(panels), sharex=True, sharey=True, squeeze=False)[0]
        for ax, (name, predict_proba) in zip(axes, panels):
            decision_boundary(predict_proba, points, features, name, resolution=resolution, ax=ax)
        fig.suptitle(title)
    return fig


def heatmap(table: pd.DataFrame, value: str, title: str):
    """A score over two swept parameters: rows × columns of ``table`` (a pivot), values annotated.

    Parameters
    ----------
    table : DataFrame
        Index and columns are the two parameters' values (named), cells the score.
    value : str
        What the cells hold, for the colour bar.
    """
    with mpl.rc_context(STYLE | {"axes.grid": False}):
        fig = mpl.Figure(figsize=(1.2 * len(table.columns) + 3, 0.6 * len(table.index) + 2.2), layout="constrained")
        ax = fig.subplots()
        values = table.to_numpy(dtype=float)
        image = ax.imshow(values, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
        ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
        for (row, col), cell in np.ndenumerate(values):
            bright = not np.isnan(cell) and image.norm(cell) > 0.6  # viridis turns yellow: dark text there
            ax.text(col, row, "—" if np.isnan(cell) else f"{cell:.3g}", ha="center", va="center",
                    color="k" if bright else "w", fontsize="small")
        ax.set(title=title, xlabel=table.columns.name, ylabel=table.index.name)
        fig.colorbar(image, ax=ax, label=value)
    return fig


def objective_over_trials(values: pd.Series, objective: str, minimize: bool, title: str):
    """A search's objective per trial, in the order they ran, with the best so far as a step line.

    Parameters
    ----------
    values : Series
        The objective of each trial in run order; NaN for a trial that failed or diverged
        (drawn as ✕ along the top of the axes).
    """
    with mpl.rc_context(STYLE):
        fig = mpl.Figure(figsize=(6.4, 4.0), layout="constrained")
        ax = fig.subplots()
        trials = np.arange(1, len(values) + 1)
        scores = values.to_numpy(dtype=float)
        ok = ~np.isnan(scores)
        ax.plot(trials[ok], scores[ok], "o", color="tab:blue", label="trial")
        best = (pd.Series(scores).cummin() if minimize else pd.Series(scores).cummax()).ffill()  # carried past failures
        ax.step(trials, best, where="post", color="tab:orange", label="best so far")
        if (~ok).any():
            top = np.nanmax(scores) if ok.any() else 1.0
            ax.plot(trials[~ok], np.full((~ok).sum(), top), "x", color="tab:red", ms=9, mew=2, label="failed or diverged")
        ax.set(title=title, xlabel="trial", ylabel=objective)
        ax.legend()
    return fig
