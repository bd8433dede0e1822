"""What every figure shares: matplotlib loaded lazily, one style, fixed margins, the class colours.

matplotlib and scikit-learn's displays (:mod:`chainrule.plots.backend`, 2 s to import here)
load when the first figure is drawn, not with this module: a process that only describes
figures for the helper to draw — a sweep's launching process — checks each one against the
drawing functions' signatures (:class:`chainrule.plots.specs.FigureSpec`) without importing them.
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np


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
# The figures drawn for every run, and a sweep's line plots, use fixed margins instead of a layout
# engine: measuring the labels for constrained layout was a third of their render time (every run's
# figures), and 40 % of the loss comparison's, which a sweep draws after its last run, on the way to its end.
FIXED_MARGINS = {"left": 0.14, "right": 0.95, "bottom": 0.12, "top": 0.92}
CLASS_COLORS = ("tab:blue", "tab:red")  # label 0, label 1
PROBABILITY_MAP = "RdBu_r"  # blue where ŷ → 0, red where ŷ → 1, as the points
MANY_CLASSES = "tab10"  # K ≥ 3: class k's colour, for its region and its points (cycled past 10)
NEGATIVE, POSITIVE = "#f59322", "#0877bd"  # TensorFlow Playground's orange and blue: weights and activations


def inch_margins(fig, left: float, right: float, bottom: float, top: float, between: float = 0.0) -> None:
    """Margins of ``fig`` in inches (and ``between`` panels side by side), whatever its size: the room
    that tick labels, axis labels and titles take does not grow with the figure."""
    width, height = fig.get_size_inches()
    n = max(1, len(fig.axes))
    panel = (width - left - right - between * (n - 1)) / n
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
                        wspace=between / panel)


def _signed_map():
    """Orange below 0, white at 0, blue above: a neuron's output or a weight, as Playground colours them."""
    return mpl.colors.LinearSegmentedColormap.from_list("playground", [NEGATIVE, "#f7f7f7", POSITIVE])


def _class_color(k: int, n_classes: int):
    return CLASS_COLORS[k] if n_classes == 2 else mpl.colormaps[MANY_CLASSES](k % 10)


def _labels(proba: np.ndarray) -> np.ndarray:
    """Predicted class codes: ŷ ≥ 0.5 for two classes, the most probable class for K."""
    return (proba >= 0.5).astype(np.int64) if proba.ndim == 1 else np.argmax(proba, axis=1)


def _plain_log_axis(ax) -> None:
    """Log-scale y axis labelled 0.3, 0.001, 1e-05 rather than 3×10⁻¹ (:class:`~.backend.PlainLogFormatter`).

    Its minor ticks are labelled only where the axis spans about a decade or less: over several
    decades, labels at 2, 3, … 9 × 10^k ran into one another (and typesetting them was a third of a
    loss curve's drawing time)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(mpl.PlainLogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(mpl.PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
