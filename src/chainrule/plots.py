"""Figures (matplotlib, Agg backend). Each function returns a Figure; the caller saves or logs it.

Figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot``: nothing is
registered in pyplot's global figure list, so a long sweep in one process does not pile up
open figures, and a figure is freed as soon as it is logged.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import colormaps, rc_context  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

def _plain_log_axis(ax) -> None:
    """Log-scale y axis labelled 0.3, 0.4, … rather than 3×10⁻¹ (clearer, and no mathtext to typeset)."""
    ax.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)


STYLE = {"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False}


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
    with rc_context(STYLE):
        # fixed margins instead of a layout engine: a third of the render time, and this
        # figure is drawn for every run of a sweep
        fig = Figure(figsize=(6.4, 4.0))
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.12, top=0.92)
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


def loss_comparison(curves: pd.DataFrame, title: str):
    """The seed's Exercise 2 plot: loss curves overlaid, one panel per model, log-scale loss.

    Parameters
    ----------
    curves : DataFrame
        Long format, one row per point: ``panel`` (model), ``label`` (legend entry, e.g. the
        learning rate), ``order`` (sorts the legend and picks the colour), ``step``, ``loss``.
    title : str
    """
    panels = sorted(curves["panel"].unique())
    lines = curves[["label", "order"]].drop_duplicates().sort_values(["order", "label"])["label"].tolist()
    colors = dict(zip(lines, colormaps["viridis"](np.linspace(0, 0.9, len(lines)))))
    with rc_context(STYLE):
        fig = Figure(figsize=(5.2 * len(panels), 4.0), layout="constrained")
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
