"""Scores from scikit-learn, named ``<split>/<metric>`` so the MLflow UI groups them.

scikit-learn's metrics are imported where they are computed, not with this module: the names
of the scores (:data:`OBJECTIVES`) are also what a sweep's launching process checks its
objective against, before any job, and importing ``sklearn.metrics`` costs it 1.6 s here.
"""

from __future__ import annotations

import re

import numpy as np

SPLITS = ("train", "val", "test")
BINARY = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")
"""Scores of a two-class run (precision, recall, F1 of label 1 at the threshold 0.5)."""
MULTICLASS = ("accuracy", "precision_macro", "precision_weighted", "recall_macro", "recall_weighted",
              "f1_macro", "f1_weighted", "roc_auc", "log_loss")
"""Scores of a K-class run (ROC AUC one-vs-rest, macro-averaged), besides each class's recall."""
OBJECTIVES = tuple(f"{split}/{score}" for split in SPLITS for score in dict.fromkeys(BINARY + MULTICLASS))
"""Every score a run may record (``val/log_loss``, ``test/accuracy``, …): what ``objective`` may name."""


def recorded(n_classes: int) -> tuple[str, ...]:
    """The objectives a run with ``n_classes`` classes records."""
    names = BINARY if n_classes == 2 else MULTICLASS
    return tuple(f"{split}/{score}" for split in SPLITS for score in names)


def predicted_labels(proba: np.ndarray) -> np.ndarray:
    """Class codes from probabilities: ŷ ≥ 0.5 for two classes, the most probable class for K."""
    return (proba >= 0.5).astype(np.int64) if proba.ndim == 1 else np.argmax(proba, axis=1)


def _metric_name(label: str) -> str:
    """A label as MLflow accepts in a metric name (letters, digits, ``_ - . / :`` and spaces)."""
    return re.sub(r"[^\w\-. /:]", "_", label)


def scores(y_true: np.ndarray, proba: np.ndarray, label_names: dict[int, str] | None = None) -> dict[str, float]:
    """Threshold-free and thresholded classification scores.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
        Class codes 0..K−1.
    proba : ndarray of shape (n_samples,) or (n_samples, K)
        Predicted probability of label 1 (two classes), or of each class.
    label_names : dict, optional
        Original label of each code, naming the per-class recalls (``recall/<label>``) of a K-class run.

    ROC AUC is NaN where a class is absent from ``y_true`` (it ranks one class against the others).
    """
    from sklearn.metrics import (accuracy_score, brier_score_loss, log_loss, precision_recall_fscore_support,
                                 recall_score, roc_auc_score)

    y_pred = predicted_labels(proba)
    if proba.ndim == 1:
        precision, recall, f1, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
        return {
            "accuracy": accuracy_score(y_true, y_pred),
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "roc_auc": roc_auc_score(y_true, proba) if len(np.unique(y_true)) == 2 else float("nan"),
            "log_loss": log_loss(y_true, proba, labels=[0, 1]),
            "brier": brier_score_loss(y_true, proba),
        }
    classes = list(range(proba.shape[1]))
    out = {"accuracy": accuracy_score(y_true, y_pred)}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=classes, average=average, zero_division=0)
        out |= {f"precision_{average}": p, f"recall_{average}": r, f"f1_{average}": f}
    every_class = len(np.unique(y_true)) == len(classes)  # a split always has each; a file to score may not
    out["roc_auc"] = (roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=classes)
                      if every_class else float("nan"))
    out["log_loss"] = log_loss(y_true, proba, labels=classes)
    names = [_metric_name((label_names or {})[k]) if label_names else str(k) for k in classes]
    if len(set(names)) < len(names):  # two labels that differ only in characters MLflow refuses
        names = [f"{name}_{k}" for k, name in enumerate(names)]
    per_class = recall_score(y_true, y_pred, labels=classes, average=None, zero_division=0)
    out |= {f"recall/{name}": value for name, value in zip(names, per_class)}
    return out


def evaluate(y: dict[str, np.ndarray], proba: dict[str, np.ndarray], label_names: dict[int, str] | None = None
             ) -> tuple[dict[str, float], dict[str, list]]:
    """Scores and confusion matrices of every split.

    Returns
    -------
    metrics : dict
        ``{"train/accuracy": ..., "test/roc_auc": ..., ...}``
    confusion : dict
        ``{"test": [[tn, fp], [fn, tp]], ...}``: rows the true class, columns the predicted (K × K).
    """
    from sklearn.metrics import confusion_matrix

    metrics, confusion = {}, {}
    for split, labels in y.items():
        for name, value in scores(labels, proba[split], label_names).items():
            metrics[f"{split}/{name}"] = float(value)
        K = 2 if proba[split].ndim == 1 else proba[split].shape[1]
        confusion[split] = confusion_matrix(labels, predicted_labels(proba[split]), labels=list(range(K))).tolist()
    return metrics, confusion
