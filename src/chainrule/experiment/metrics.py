"""Scores from scikit-learn, named ``<split>/<metric>`` so the MLflow UI groups them.

scikit-learn's metrics are imported where they are computed, not with this module: the names
of the scores (:data:`OBJECTIVES`) are also what a sweep's launching process checks its
objective against, before any job, and importing ``sklearn.metrics`` costs it 1.6 s here.
"""

from __future__ import annotations

import numpy as np

SPLITS = ("train", "val", "test")
SCORES = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")
OBJECTIVES = tuple(f"{split}/{score}" for split in SPLITS for score in SCORES)
"""Every score a run records (``val/log_loss``, ``test/accuracy``, …): what ``objective`` may name."""


def scores(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Threshold-free and thresholded (at 0.5) binary classification scores.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
        Labels 0/1.
    proba : ndarray of shape (n_samples,)
        Predicted probability of label 1.
    """
    from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, precision_recall_fscore_support, roc_auc_score

    y_pred = (proba >= 0.5).astype(np.int64)
    precision, recall, f1, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    return {
        "accuracy": accuracy_score(y_true, y_pred),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": roc_auc_score(y_true, proba),
        "log_loss": log_loss(y_true, proba, labels=[0, 1]),
        "brier": brier_score_loss(y_true, proba),
    }


def evaluate(y: dict[str, np.ndarray], proba: dict[str, np.ndarray]) -> tuple[dict[str, float], dict[str, list]]:
    """Scores and confusion matrices of every split.

    Returns
    -------
    metrics : dict
        ``{"train/accuracy": ..., "test/roc_auc": ..., ...}``
    confusion : dict
        ``{"test": [[tn, fp], [fn, tp]], ...}``
    """
    from sklearn.metrics import confusion_matrix

    metrics, confusion = {}, {}
    for split, labels in y.items():
        for name, value in scores(labels, proba[split]).items():
            metrics[f"{split}/{name}"] = float(value)
        confusion[split] = confusion_matrix(labels, proba[split] >= 0.5, labels=[0, 1]).tolist()
    return metrics, confusion
