"""Figures (matplotlib, Agg backend). Each function returns a Figure; the caller saves or logs it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

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
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        steps = np.arange(len(train))
        ax.plot(steps, train, label="train", color="tab:blue")
        if val is not None:
            ax.plot(steps, val, label="validation", color="tab:orange")
        ax.set(title=title, xlabel="iteration", ylabel="mean binary cross-entropy" + (" (log scale)" if log_scale else ""))
        if log_scale:
            ax.set_yscale("log")
        ax.legend()
        fig.tight_layout()
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
    colors = dict(zip(lines, plt.get_cmap("viridis")(np.linspace(0, 0.9, len(lines)))))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.0), sharey=True, squeeze=False)
        for ax, panel in zip(axes[0], panels):
            for label in lines:
                points = curves[(curves["panel"] == panel) & (curves["label"] == label)].sort_values("step")
                if len(points):
                    ax.plot(points["step"], points["loss"], color=colors[label], label=label)
            ax.set(title=panel, xlabel="iteration", yscale="log")
            ax.legend()
        axes[0][0].set_ylabel("training loss (log scale)")
        fig.suptitle(title)
        fig.tight_layout()
    return fig
