"""The figures a run gets, described for :mod:`chainrule.plots` (drawn in place, or by its helper)."""

from __future__ import annotations

from omegaconf import DictConfig

from chainrule.experiment import training_views
from chainrule.model.weights import Predictor
from chainrule.plots.specs import FigureSpec


def weight_blocks(series: dict) -> dict:
    """The weight matrices' entries of a GradientFlow's ``grad_norm`` or ``update_ratio``, first
    layer first (``W1``, …, ``w``): not the biases."""
    return {name: values for name, values in series.items() if name.startswith("W") or name == "w"}


def run_figures(cfg: DictConfig, name: str, history, model, splits, proba, flow=None, snapshots=None) -> list[FigureSpec]:
    """The loss curves and the gradients' flow (when recorded); and unless training diverged
    (``proba`` is None then), ROC curves, the test confusion matrix, for two features the
    decision boundary, and the views of :mod:`.training_views` that are on."""
    kept = history.kept_iteration if cfg.train.early_stopping else None
    figures = [FigureSpec("loss_curve", "loss_curve", (
        history.loss, history.val_loss, f"{name}: loss per iteration", cfg.figures.log_scale, kept
    ))]
    if flow is not None and len(history.loss):
        figures.append(FigureSpec("gradient_flow", "gradient_flow", (
            weight_blocks(flow.grad_norm), weight_blocks(flow.update_ratio), f"{name}: gradient flow"
        )))
    if proba is None:
        return figures
    figures += [
        FigureSpec("roc_curve", "roc_curve", (splits.y, proba, f"{name}: ROC", splits.table.label_names)),
        FigureSpec("confusion_matrix", "confusion_matrix", (
            splits.y["test"], proba["test"], splits.table.label_names, f"{name}\ntest confusion matrix"
        )),
    ]
    features = splits.table.features
    if len(features) == 2:
        predictor = Predictor.from_parts(model, features, splits.scaler, splits.table.label_names, splits.derived)
        figures.append(FigureSpec("decision_boundary", "decision_boundary", (
            predictor.predict_proba, splits.points(), features, f"{name}: ŷ and the data", cfg.figures.resolution
        )))
    return figures + training_views.figures(cfg, name, model, splits, snapshots)
