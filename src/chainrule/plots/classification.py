"""The figures of one classifier: ROC curves, the confusion matrix, the decision surface — for two classes and for K."""

from __future__ import annotations

from typing import Callable

import numpy as np

from chainrule.plots.style import FIXED_MARGINS, PROBABILITY_MAP, STYLE, _class_color, _labels, mpl


def roc_curve(y_true: dict[str, np.ndarray], proba: dict[str, np.ndarray], title: str,
              label_names: dict[int, str] | None = None):
    """ROC curves (scikit-learn's RocCurveDisplay), AUC in the legend: of every split for two
    classes; for K classes, of each class against the rest on the test split.

    Parameters
    ----------
    y_true, proba : dict
        Split name → labels (n,) and → predicted probabilities of label 1 (n,), or of each class (n, K).
    label_names : dict, optional
        Code → original label, naming the one-vs-rest curves.
    """
    with mpl.rc_context(STYLE):
        fig = mpl.Figure(figsize=(5.2, 5.0))
        fig.subplots_adjust(**FIXED_MARGINS)
        ax = fig.subplots()
        if proba["test"].ndim == 1:
            for split, labels in y_true.items():
                mpl.RocCurveDisplay.from_predictions(labels, proba[split], name=split, ax=ax)
        else:
            K = proba["test"].shape[1]
            names = label_names or {k: str(k) for k in range(K)}
            for k in range(K):
                mpl.RocCurveDisplay.from_predictions(y_true["test"] == k, proba["test"][:, k], name=f"{names[k]} vs rest",
                                                     curve_kwargs={"color": _class_color(k, K)}, ax=ax)
            title += " (test, one vs rest)"
        ax.plot([0, 1], [0, 1], ls=":", color="grey", label="chance")
        ax.set(title=title, xlabel="false positive rate", ylabel="true positive rate", aspect="equal")
        ax.legend(loc="lower right", fontsize="small" if proba["test"].ndim == 2 else None)
    return fig


def confusion_matrix(y_true: np.ndarray, proba: np.ndarray, label_names: dict[int, str], title: str):
    """Confusion matrix (scikit-learn's ConfusionMatrixDisplay) with the original label names: at
    the threshold 0.5 for two classes, of the most probable class for K (K × K)."""
    K = 2 if proba.ndim == 1 else proba.shape[1]
    side = max(4.8, 0.55 * K + 2.4)
    with mpl.rc_context(STYLE | {"axes.grid": False}):
        fig = mpl.Figure(figsize=(side, side - 0.6))
        fig.subplots_adjust(**FIXED_MARGINS | {"left": 0.2, "bottom": 0.16, "top": 0.86})  # room for a two-line title
        ax = fig.subplots()
        mpl.ConfusionMatrixDisplay.from_predictions(
            y_true, _labels(proba), labels=list(range(K)), display_labels=[label_names[k] for k in range(K)],
            cmap="Blues", colorbar=False, ax=ax, xticks_rotation="vertical" if K > 4 else "horizontal",
        )
        ax.set(title=title, xlabel="predicted label", ylabel="true label")
    return fig


def plane_grid(X: np.ndarray, resolution: int):
    """A ``resolution`` × ``resolution`` grid over the box around ``X`` (raw feature units), 10 % margin:
    the (x₁, x₂) of each point, two arrays of shape (resolution, resolution), x₁ along the columns."""
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * (high - low) + 1e-9
    return np.meshgrid(*(np.linspace(lo - m, hi + m, resolution) for lo, hi, m in zip(low, high, margin)))


def _probability_surface(ax, predict_proba: Callable, X: np.ndarray, resolution: int):
    """Filled contours of ŷ over the box around ``X``; returns the mappable. For K classes, each
    point of the plane in the colour of its most probable class, paler where that class's
    probability is lower (white at 1/K), with the boundaries between regions in black.

    Returns
    -------
    mappable or None (K classes: no colour bar), and the number of classes"""
    g1, g2 = plane_grid(X, resolution)
    p = predict_proba(np.column_stack([g1.ravel(), g2.ravel()]))
    if p.ndim == 1:
        p = p.reshape(g1.shape)
        surface = ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap=PROBABILITY_MAP, alpha=0.75)
        ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=1.2)
        return surface, 2
    K = p.shape[1]
    image, winner = class_regions(p.reshape(*g1.shape, K))
    ax.imshow(image, origin="lower", extent=(g1.min(), g1.max(), g2.min(), g2.max()), aspect="auto", interpolation="nearest")
    ax.contour(g1, g2, winner, levels=np.arange(K) + 0.5, colors="k", linewidths=0.8)
    return None, K


def class_regions(p: np.ndarray):
    """K classes' probabilities over a grid as an RGB image: the most probable class's colour,
    blended towards white as its probability falls to 1/K.

    Parameters
    ----------
    p : ndarray of shape (rows, columns, K)

    Returns
    -------
    image : ndarray of shape (rows, columns, 3), RGB in [0, 1]
    winner : ndarray of int, shape (rows, columns)
    """
    K = p.shape[-1]
    winner, confidence = np.argmax(p, axis=-1), p.max(axis=-1)
    strength = ((confidence - 1 / K) / (1 - 1 / K))[..., None]  # 0 at a tie of all K, 1 when sure
    colors = np.array([mpl.colors.to_rgb(_class_color(k, K)) for k in range(K)])[winner]
    return 1 - 0.75 * strength * (1 - colors), winner  # blend towards white


def decision_boundary(
    predict_proba: Callable, points: dict[str, tuple[np.ndarray, np.ndarray]], features: list[str], title: str,
    resolution: int = 150, ax=None,
):
    """The model's probability surface ŷ(x₁, x₂) with the data on it; the ŷ = 0.5 line in black.
    For K classes: the regions of the classes, shaded by the winning probability.

    Parameters
    ----------
    predict_proba : callable
        Raw features of shape (n, 2) → probabilities of label 1, shape (n,), or of each class (n, K).
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
        surface, K = _probability_surface(ax, predict_proba, X_all, resolution)
        for split, (X, y) in points.items():
            marker = "o" if split == "train" else "X"
            for label in range(K):
                chosen = y == label
                ax.scatter(X[chosen, 0], X[chosen, 1], s=18 if split == "train" else 36, marker=marker,
                           color=_class_color(label, K), edgecolors="k", linewidths=0.4,
                           label=f"{split}, label {label}" if K == 2 or split == "train" else None)
        ax.set(title=title, xlabel=features[0], ylabel=features[1])
        if own:
            ax.legend(loc="upper right", fontsize="small", framealpha=0.8)
            if surface is not None:
                fig.colorbar(surface, ax=ax, label="predicted probability of label 1")
            return fig
    return ax
