"""The network itself, as TensorFlow Playground draws it: what each hidden neuron computes over the
input plane, and the trained network as columns of nodes joined by its weights.

Colours are Playground's: blue where a weight or an output is positive, orange where negative.
"""

from __future__ import annotations

import numpy as np

from chainrule.plots.style import NEGATIVE, POSITIVE, STYLE, _signed_map, mpl

MAX_LINKS = 256
"""Links drawn between two columns at most (16 × 16: six hidden layers of 16 stay complete);
beyond it the largest |w| are kept and the figure says how many it leaves out."""


def neuron_maps(outputs: np.ndarray, extent: tuple[float, float, float, float], features: list[str], title: str):
    """One small map per neuron of a hidden layer: its output ``h = g(a)`` over the input plane.

    Parameters
    ----------
    outputs : ndarray of shape (n_neurons, rows, columns)
        Each neuron's output over a grid of the input plane (rows along x₂, columns along x₁).
    extent : tuple
        ``(x1_min, x1_max, x2_min, x2_max)`` of the grid, in raw feature units.
    features : list of str
        The two feature names.
    title : str

    Each map has its own colour scale, symmetric about 0 (white): blue positive, orange negative.
    """
    n = len(outputs)
    columns = min(n, 8)
    rows = -(-n // columns)
    with mpl.rc_context(STYLE | {"axes.grid": False}):
        fig = mpl.Figure(figsize=(1.3 * columns + 0.4, 1.3 * rows + 0.9))
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1 - 0.6 / (1.3 * rows + 0.9), wspace=0.08, hspace=0.25)
        axes = fig.subplots(rows, columns, squeeze=False).ravel()
        for k, ax in enumerate(axes):
            ax.set_xticks([])
            ax.set_yticks([])
            if k >= n:
                ax.set_axis_off()
                continue
            top = float(np.abs(outputs[k]).max()) or 1.0
            ax.imshow(outputs[k], origin="lower", extent=extent, aspect="auto", cmap=_signed_map(), vmin=-top, vmax=top)
            ax.set_title(f"neuron {k + 1} (max {top:.2g})", fontsize="x-small", pad=2)
        fig.suptitle(f"{title}\nover ({features[0]}, {features[1]}); blue > 0 > orange", fontsize="medium")
    return fig


def network_diagram(weights: list[np.ndarray], names: list[list[str]], title: str,
                    maps: list[np.ndarray | None] | None = None, max_links: int = MAX_LINKS):
    """The trained network: layers as columns of nodes, every link drawn with width ∝ |w| and
    coloured by the sign of w.

    Parameters
    ----------
    weights : list of ndarray
        Per pair of neighbouring columns, the weight matrix from one to the next, shape
        (n_next, n_previous): ``W1``, …, ``WL``, then the output's ``w`` ((1, n_L) for two classes).
    names : list of list of str
        Node names per column: the model's inputs (``x1^2``, ``sin(x2)`` …), the hidden
        neurons, the outputs.
    maps : list, optional
        Per column, each node's output over the input plane, shape (n_nodes, rows, columns), or
        None: drawn inside the nodes (two-feature data).
    max_links : int
        Links drawn between two columns at most: the largest |w| (see :data:`MAX_LINKS`).
    """
    sizes = [len(column) for column in names]
    tallest = max(sizes)
    side = 0.62 if maps is not None else 0.4  # of a node, in units of the spacing between nodes
    top_w = max(float(np.abs(W).max()) for W in weights) or 1.0
    columns = len(sizes)
    spacing = 2.2  # between columns, in node spacings
    xlim, ylim = (-2.4, (columns - 1) * spacing + 2.4), (-(tallest - 1) / 2 - 0.7, (tallest - 1) / 2 + 2.0)
    height = min(14.0, 0.5 * tallest + 2.2)
    # as wide as makes a node spacing as long across as down (the nodes' maps square), within bounds
    # (a tall network's columns stay far enough apart to follow its links, and its title fits)
    width = min(18.0, max(2.0 * columns + 1.5, 0.86 * height * (xlim[1] - xlim[0]) / (0.96 * (ylim[1] - ylim[0]))))
    with mpl.rc_context(STYLE | {"axes.grid": False}):
        fig = mpl.Figure(figsize=(width, height))
        ax = fig.add_axes((0.02, 0.02, 0.96, 0.86))
        ax.set_axis_off()
        y = [np.arange(n)[::-1] - (n - 1) / 2 for n in sizes]
        left_out = []
        for c, W in enumerate(weights):
            absolute = np.abs(W).ravel()
            keep = np.argsort(absolute, kind="stable")[::-1][:max_links]
            left_out.append(absolute.size - keep.size)
            to, frm = np.unravel_index(keep, W.shape)
            segments = np.stack([np.column_stack([np.full(keep.size, c * spacing + side / 2), y[c][frm]]),
                                 np.column_stack([np.full(keep.size, (c + 1) * spacing - side / 2), y[c + 1][to]])], axis=1)
            values = W.ravel()[keep]
            ax.add_collection(mpl.LineCollection(
                segments, linewidths=0.3 + 4.0 * np.abs(values) / top_w,
                colors=np.where(values >= 0, POSITIVE, NEGATIVE), alpha=0.75, zorder=1))
        for c, n in enumerate(sizes):
            x = c * spacing
            for i in range(n):
                _node(ax, x, y[c][i], side, None if maps is None or maps[c] is None else maps[c][i])
            place = {0: (x - side / 2 - 0.15, "right"), columns - 1: (x + side / 2 + 0.15, "left")}
            if c in place:
                for i, label in enumerate(names[c]):
                    ax.text(place[c][0], y[c][i], label, ha=place[c][1], va="center", fontsize="small")
            heading = "input" if c == 0 else "output" if c == columns - 1 else f"layer {c}"
            ax.text(x, (tallest - 1) / 2 + 0.9, f"{heading}\n({n})", ha="center", va="bottom", fontsize="small")
        ax.set(xlim=xlim, ylim=ylim, aspect="auto")
        note = f"link width ∝ |w| (widest: |w| = {top_w:.3g}); blue w > 0, orange w < 0"
        if sum(left_out):
            note += f"\n{sum(left_out)} of {sum(W.size for W in weights)} links left out: the {max_links} largest |w| drawn between two columns"
        fig.suptitle(f"{title}\n{note}", fontsize="medium")
    return fig


def _node(ax, x: float, y: float, side: float, image: np.ndarray | None) -> None:
    """A node: its map over the input plane in a square, or a plain circle."""
    if image is None:
        ax.scatter([x], [y], s=60, color="#d9d9d9", edgecolors="k", linewidths=0.6, zorder=3)
        return
    top = float(np.abs(image).max()) or 1.0
    box = (x - side / 2, x + side / 2, y - side / 2, y + side / 2)
    ax.imshow(image, origin="lower", extent=box, cmap=_signed_map(), vmin=-top, vmax=top, zorder=3,
              interpolation="nearest", aspect="auto")
    ax.add_patch(mpl.Rectangle((box[0], box[2]), side, side, fill=False, lw=0.6, color="k", zorder=4))
