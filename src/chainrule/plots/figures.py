"""Figures (matplotlib, Agg backend). Each function returns a Figure; the caller saves or logs it.

Figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot``: nothing is
registered in pyplot's global figure list, so a long sweep in one process does not pile up
open figures, and a figure is freed as soon as it is logged. One style for all of them:
:data:`STYLE`, a title, labelled axes (with their scale), a legend where lines need names.

This module is the catalogue :class:`chainrule.plots.specs.FigureSpec` names figures from: the
loss curve and the sweep figures are here, one classifier's figures (ROC, confusion matrix,
decision surface) in :mod:`chainrule.plots.classification`, the network's in :mod:`chainrule.plots.network`
and the loss landscape in :mod:`chainrule.plots.landscape`, imported here; matplotlib loads
lazily (:mod:`chainrule.plots.style`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from chainrule.plots.classification import confusion_matrix, decision_boundary, roc_curve  # noqa: F401  (figures too)
from chainrule.plots.landscape import loss_landscape  # noqa: F401  (a figure too)
from chainrule.plots.network import network_diagram, neuron_maps  # noqa: F401  (figures too)
from chainrule.plots.style import FIXED_MARGINS, STYLE, _plain_log_axis, inch_margins, load_backend, mpl  # noqa: F401  (load_backend too)
from chainrule.plots.training import surface_frames  # noqa: F401  (frames: a SeriesSpec's)


def loss_curve(train: np.ndarray, val: np.ndarray | None, title: str, log_scale: bool = True,
               kept: int | None = None):
    """Training (and validation) loss per iteration.

    Parameters
    ----------
    train, val : ndarray of shape (n_iterations,)
        Mean cross-entropy per iteration; ``val`` may be None.
    title : str
    log_scale : bool
        Log-scale loss axis (losses span decades when training works).
    kept : int, optional
        The iteration whose weights early stopping kept: marked with a dashed line.
    """
    with mpl.rc_context(STYLE):
        fig = mpl.Figure(figsize=(6.4, 4.0))
        fig.subplots_adjust(**FIXED_MARGINS)
        ax = fig.subplots()
        steps = np.arange(len(train))
        ax.plot(steps, train, label="train", color="tab:blue")
        if val is not None:
            ax.plot(steps, val, label="validation", color="tab:orange")
        if kept is not None:
            ax.axvline(kept, ls="--", color="grey", label=f"kept weights (iteration {kept})")
        ax.set(title=title, xlabel="iteration", ylabel="mean cross-entropy" + (" (log scale)" if log_scale else ""))
        if log_scale:
            _plain_log_axis(ax)
        ax.legend()
    return fig


def gradient_flow(norms: dict[str, np.ndarray], ratios: dict[str, np.ndarray], title: str):
    """How the gradients flow: per weight matrix, ``‖∂L/∂W‖`` and ``‖ΔW‖ / ‖W‖`` per iteration.

    Parameters
    ----------
    norms, ratios : dict
        Block name (``W1``, …, ``w``) → values per iteration; one line per layer, first layer darkest.
    """
    with mpl.rc_context(STYLE):
        fig = mpl.Figure(figsize=(10.0, 4.0))
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.85, wspace=0.25)
        axes = fig.subplots(1, 2, sharex=True)
        colors = mpl.colormaps["viridis"](np.linspace(0, 0.85, len(norms)))
        for ax, values, label in ((axes[0], norms, "gradient norm ‖∂L/∂W‖"), (axes[1], ratios, "update ratio ‖ΔW‖ / ‖W‖")):
            for color, (name, series) in zip(colors, values.items()):
                ax.plot(np.arange(len(series)), series, color=color, label=name)
            ax.set(xlabel="iteration", ylabel=label + " (log scale)", yscale="log")
            # powers of ten as plain text (0.001, 1e-05): typesetting 10⁻⁵ took half the drawing time
            ax.yaxis.set_major_formatter(mpl.FuncFormatter(lambda value, _: f"{value:g}"))
            ax.yaxis.set_minor_locator(mpl.NullLocator())
        axes[1].axhline(1e-3, ls=":", color="grey", label="1e-3 (rule of thumb)")
        axes[0].legend(title="layer", fontsize="small")
        axes[1].legend(fontsize="small")
        fig.suptitle(title)
    return fig


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
        fig = mpl.Figure(figsize=(5.2 * len(panels), 4.0))
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)
        inch_margins(fig, left=0.85, right=0.15, bottom=0.55, top=0.75, between=0.25)  # room for the suptitle and panel titles
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
        fig = mpl.Figure(figsize=(6.4, 4.0))
        fig.subplots_adjust(**FIXED_MARGINS)
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
        fig = mpl.Figure(figsize=(6.4, 4.0))
        fig.subplots_adjust(**FIXED_MARGINS)
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
