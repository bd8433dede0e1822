"""Which comparison figures a sweep's parent gets, from its children's params and scores alone."""

import pandas as pd

from chainrule.sweeps.summary import sweep_figures


class NoHistories:
    """A client whose runs logged no loss history (the figures chosen do not depend on it)."""

    def get_metric_history(self, run_id, key):
        return []


def children(**columns):
    n = len(next(iter(columns.values())))
    base = {"run_id": [str(i) for i in range(n)], "status": ["FINISHED"] * n, "params.train.lr": ["0.1"] * n,
            "metrics.test/accuracy": [0.8 + 0.01 * i for i in range(n)], "metrics.val/log_loss": [0.3] * n}
    return pd.DataFrame(base | columns)


def test_a_sweep_across_model_kinds_and_depths_gets_the_depth_comparison_of_its_mlps():
    frame = children(**{"params.model.name": ["logistic", "mlp", "mlp", "logistic"],
                        "params.model.hidden_widths": [None, "[8]", "[8, 8]", None]})
    figures = {f.name: f for f in sweep_figures(NoHistories(), frame, "val/log_loss", None)}
    scores = figures["depth_comparison"].args[0]
    assert sorted(scores["depth"]) == [1, 2]  # the logistic runs have no depth


def test_a_sweep_of_one_depth_gets_no_depth_comparison():
    frame = children(**{"params.model.name": ["mlp", "mlp"], "params.model.hidden_widths": ["[8, 8]", "[8, 8]"],
                        "params.optimizer.name": ["gd", "adam"]})
    assert "depth_comparison" not in {f.name for f in sweep_figures(NoHistories(), frame, "val/log_loss", None)}
