"""make report's table of a sweep across optimizers on K-class data: the varied settings and the multiclass scores."""

import pandas as pd

from chainrule.sweeps import report


def test_the_report_shows_the_swept_optimizer_and_depth_and_the_multiclass_scores():
    start = pd.Timestamp("2026-12-01T10:00:00Z")
    runs = pd.DataFrame({
        "run_id": ["a", "b"],
        "tags.mlflow.runName": ["mlp-w8-relu-lr0.5-iris", "mlp-w8x8-relu-adam-lr0.01-iris"],
        "status": ["FINISHED", "FINISHED"],
        "params.optimizer.name": ["gd", "adam"],
        "params.model.hidden_widths": ["[8]", "[8, 8]"],
        "params.dataset.name": ["iris", "iris"],
        **{f"metrics.{name}": [0.3, 0.2] for name in ("val/log_loss", "test/log_loss")},
        **{f"metrics.{name}": [0.9, 0.95] for name in ("test/accuracy", "test/roc_auc", "test/f1_macro", "test/recall_macro")},
        "start_time": [start, start], "end_time": [start + pd.Timedelta(seconds=2)] * 2,
    })
    table = report.table(runs, "val/log_loss", rows=10)
    assert list(table["run"]) == ["mlp-w8x8-relu-adam-lr0.01-iris", "mlp-w8-relu-lr0.5-iris"]  # the lower loss first
    assert {"optimizer.name", "model.hidden_widths", "test/f1_macro", "test/recall_macro"} <= set(table.columns)
    assert "dataset.name" not in table.columns  # not varied


def test_a_two_class_report_has_no_multiclass_columns():
    runs = pd.DataFrame({"run_id": ["a"], "tags.mlflow.runName": ["r"], "status": ["FINISHED"], "metrics.val/log_loss": [0.3],
                         "start_time": [pd.Timestamp("2026-12-01T10:00:00Z")], "end_time": [pd.Timestamp("2026-12-01T10:00:01Z")]})
    assert "test/f1_macro" not in report.table(runs, "val/log_loss", rows=10).columns
