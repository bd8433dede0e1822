"""The loss landscape of the seed's §3: logistic regression's mean cross-entropy over its two
weights, and the path gradient descent took across it."""

from __future__ import annotations

import numpy as np

from chainrule.plots.style import FIXED_MARGINS, STYLE, mpl


def loss_landscape(w1: np.ndarray, w2: np.ndarray, loss: np.ndarray, path: np.ndarray, bias: float,
                   inputs: list[str], title: str):
    """Contours of the loss over (w₁, w₂) at the learnt bias, with the path of the weights.

    Parameters
    ----------
    w1, w2 : ndarray of shape (columns,), (rows,)
        The grid's values of the two weights.
    loss : ndarray of shape (rows, columns)
        Mean training cross-entropy at each (w₁, w₂) with the bias at ``bias``.
    path : ndarray of shape (n_steps, 2)
        (w₁, w₂) after each step, the initial weights first (each step had its own bias).
    bias : float
        The learnt bias ``b``, at which the loss is drawn.
    inputs : list of str
        The names of the two inputs the weights multiply.
    """
    with mpl.rc_context(STYLE | {"axes.grid": False}):
        fig = mpl.Figure(figsize=(6.0, 5.0))
        fig.subplots_adjust(**FIXED_MARGINS | {"right": 0.9, "top": 0.88})  # room for a two-line title
        ax = fig.subplots()
        levels = np.geomspace(loss.min(), loss.max(), 16)  # losses span decades near the minimum
        filled = ax.contourf(w1, w2, loss, levels=levels, cmap="viridis_r", norm=mpl.colors.LogNorm())
        ax.contour(w1, w2, loss, levels=levels, colors="w", linewidths=0.3, alpha=0.6)
        ax.plot(path[:, 0], path[:, 1], "-", color="tab:red", lw=1.5, label="gradient descent")
        ax.plot(*path[0], "o", color="tab:red", ms=6, label="start")
        ax.plot(*path[-1], "*", color="w", mec="k", ms=13, label="end")
        ax.set_title(title, fontsize="medium")
        ax.set(xlabel=f"w₁ (weight of {inputs[0]})", ylabel=f"w₂ (weight of {inputs[1]})")
        ax.legend(loc="upper right", fontsize="small")
        fig.colorbar(filled, ax=ax, label=f"mean cross-entropy at b = {bias:.3g} (log scale)", format="%.2g")
    return fig
