"""Training as it went: the decision surface at snapshots of training, as frames and as a GIF.

TensorFlow Playground redraws the surface as the network learns; a run keeps the same story as
images — one per snapshot, for MLflow's step slider, and all of them in one animated GIF. The
frames are drawn on one figure whose surface, boundary and caption are swapped between frames:
the points and the axes are drawn once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chainrule.plots.classification import class_regions
from chainrule.plots.style import FIXED_MARGINS, PROBABILITY_MAP, STYLE, _class_color, _signed_map, mpl


def surface_frames(
    surfaces: np.ndarray, extent: tuple[float, float, float, float], points: dict[str, tuple[np.ndarray, np.ndarray]],
    features: list[str], captions: list[str], title: str, neurons: list[list[np.ndarray]] | None = None,
) -> list[np.ndarray]:
    """The decision surface at each snapshot, as images.

    Parameters
    ----------
    surfaces : ndarray of shape (n_frames, rows, columns) or (n_frames, rows, columns, K)
        Predicted probability of label 1 (two classes), or of each class, over a grid of the
        input plane (rows along x₂, columns along x₁).
    extent : tuple
        ``(x1_min, x1_max, x2_min, x2_max)`` of the grid, in raw feature units.
    points : dict
        Split name → (X of shape (n, 2), y of shape (n,)): "train" as dots, others as crosses.
    features : list of str
        The two feature names, for the axis labels.
    captions : list of str
        One per frame (the iteration and the loss), written under the title.
    neurons : list, optional
        Per frame, per hidden layer, the outputs of its neurons over a grid, shape (n_l, r, r):
        drawn beside the surface (``figures.neurons_over_training``).

    Returns
    -------
    list of ndarray of shape (height, width, 3), uint8
    """
    K = 2 if surfaces.ndim == 3 else surfaces.shape[-1]
    with mpl.rc_context(STYLE | {"axes.grid": False}):
        layers = len(neurons[0]) if neurons else 0
        fig = mpl.Figure(figsize=(5.2 + 2.4 * layers, 4.6))
        canvas = mpl.FigureCanvasAgg(fig)
        if layers:
            grid = fig.add_gridspec(1, 1 + layers, width_ratios=[5.2] + [2.4] * layers, left=0.08, right=0.98,
                                    bottom=0.12, top=0.86, wspace=0.15)
            ax = fig.add_subplot(grid[0])
            neuron_panels = [_NeuronPanel(fig, grid[1 + l], f"layer {l + 1}", len(neurons[0][l])) for l in range(layers)]
        else:
            ax, neuron_panels = fig.subplots(), []
            fig.subplots_adjust(**FIXED_MARGINS | {"top": 0.86})
        x1, x2 = (np.linspace(extent[0], extent[1], surfaces.shape[2]), np.linspace(extent[2], extent[3], surfaces.shape[1]))
        image = ax.imshow(_image(surfaces[0], K), origin="lower", extent=extent, aspect="auto",
                          cmap=PROBABILITY_MAP if K == 2 else None, vmin=0, vmax=1, alpha=0.75 if K == 2 else 1.0)
        dots = []
        for split, (X, y) in points.items():
            for label in range(K):
                chosen = y == label
                dots.append(ax.scatter(X[chosen, 0], X[chosen, 1], s=14 if split == "train" else 30,
                                       marker="o" if split == "train" else "X", color=_class_color(label, K),
                                       edgecolors="k", linewidths=0.3))
        ax.set(xlabel=features[0], ylabel=features[1], xlim=extent[:2], ylim=extent[2:])
        fig.suptitle(title)
        caption = ax.set_title(" ")
        # Blitting (matplotlib's recipe for fast redraws): everything that never changes — axes,
        # ticks, labels, the title — is drawn once and copied back for each frame; only the
        # surface, its boundary, the points over it and the caption are drawn per frame (a
        # third of a full draw's time).
        boundary = ax.add_collection(mpl.LineCollection([], colors="k", linewidths=1.2 if K == 2 else 0.8), autolim=False)
        changing = [image, boundary, *dots, caption, *(im for panel in neuron_panels for im in panel.images)]
        for artist in changing:
            artist.set_animated(True)
        canvas.draw()
        background = canvas.copy_from_bbox(fig.bbox)
        frames = []
        for i, surface in enumerate(surfaces):
            canvas.restore_region(background)
            image.set_data(_image(surface, K))
            ax.draw_artist(image)
            boundary.set_segments(_boundary(x1, x2, surface, K))
            ax.draw_artist(boundary)
            for artist in dots:
                ax.draw_artist(artist)
            caption.set_text(captions[i])
            ax.draw_artist(caption)
            for panel, outputs in zip(neuron_panels, neurons[i] if layers else ()):
                panel.show(outputs)
            frames.append(np.asarray(canvas.buffer_rgba())[..., :3].copy())
    return frames


def _image(surface: np.ndarray, K: int) -> np.ndarray:
    return surface if K == 2 else class_regions(surface)[0]


def _boundary(x1: np.ndarray, x2: np.ndarray, surface: np.ndarray, K: int) -> list[np.ndarray]:
    """ŷ = 0.5 for two classes, the borders between the regions for K: polylines of shape (n, 2)
    (none where there is no boundary yet).

    contourpy, matplotlib's own contouring, called directly: a ContourSet per frame (``ax.contour``)
    cost a third of the frame's time.
    """
    import contourpy  # matplotlib's dependency

    if K == 2:
        field, levels = surface, [0.5]
    else:
        field, levels = np.argmax(surface, axis=-1).astype(float), np.arange(K - 1) + 0.5
    generator = contourpy.contour_generator(x1, x2, field, line_type=contourpy.LineType.Separate)
    return [line for level in levels for line in generator.lines(level)]


class _NeuronPanel:
    """A column of small maps, one per neuron of a layer, whose images are swapped between frames."""

    def __init__(self, fig, cell, title: str, n: int):
        columns = 1 if n <= 6 else 2 if n <= 16 else 4
        rows = -(-n // columns)
        sub = cell.subgridspec(rows, columns, hspace=0.08, wspace=0.08)
        self.images = []
        for k in range(rows * columns):
            ax = fig.add_subplot(sub[k // columns, k % columns])
            ax.set_axis_off()
            if k < n:
                self.images.append(ax.imshow(np.zeros((2, 2)), origin="lower", cmap=_signed_map(), aspect="auto"))
            if k == 0:
                ax.set_title(title, fontsize="small")

    def show(self, outputs: np.ndarray) -> None:
        for image, values in zip(self.images, outputs):
            top = float(np.abs(values).max()) or 1.0
            image.set_data(values)
            image.set_clim(-top, top)
            image.axes.draw_artist(image)


def save_animation(frames: list[np.ndarray], path: Path, seconds_per_frame: float = 0.5, hold_last: float = 2.5) -> None:
    """Write ``frames`` as an animated GIF that loops, the last frame held ``hold_last`` seconds.

    What matplotlib's ``PillowWriter`` does with the frames it grabs, given frames already drawn
    (grabbing would render every frame a second time).
    """
    from PIL import Image  # Pillow, matplotlib's own dependency

    # One palette of 256 colours per frame by fast octree quantisation (Pillow's default for a GIF,
    # median cut, takes three times as long for frames that look the same)
    images = [Image.fromarray(frame).quantize(256, method=Image.Quantize.FASTOCTREE) for frame in frames]
    durations = [round(1000 * seconds_per_frame)] * (len(images) - 1) + [round(1000 * hold_last)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
