"""A finished sweep, summarised on its parent run: comparison figures, a table, the best child.

:class:`chainrule.sweeps.callback.MlflowSweep` calls :func:`summarise` when the sweep ends; ``make report``
uses :func:`swept` and :func:`minimizes` too.
"""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow import MlflowClient

from chainrule.plots import helper
from chainrule.plots.specs import FigureSpec
from chainrule.tracking import records


def failed_jobs(client: MlflowClient, parent_id: str) -> list[str]:
    """The lines ``on_job_end`` left on the parent run (tags ``chainrule.failed_job.<n>``), in job order."""
    tags = client.get_run(parent_id).data.tags
    prefix = "chainrule.failed_job."
    return [tags[k] for k in sorted((k for k in tags if k.startswith(prefix)), key=lambda k: int(k[len(prefix):]))]


def minimizes(metric: str) -> bool:
    """Losses and the Brier score are better small; every other score is better large."""
    return metric.endswith(("loss", "brier"))


def comparison_curves(client: MlflowClient, children: pd.DataFrame) -> pd.DataFrame:
    """Every child's training-loss history, one panel per model, one line per learning rate (and
    optimizer and hidden layers, where the children differ in them).

    Returns
    -------
    DataFrame
        Columns ``panel``, ``label``, ``order``, ``step``, ``loss``; the label of a run that
        diverged ends in "(diverged)".
    """
    archs = children.apply(_architecture, axis=1) if not children.empty else pd.Series(dtype=object)
    optimizers = children.get("params.optimizer.name", pd.Series(dtype=object)).dropna().unique()
    rows = []
    for (_, child), arch in zip(children.iterrows(), archs):
        lr = float(child.get("params.train.lr", "nan"))
        label = f"α = {lr:g}"
        if len(optimizers) > 1:
            label = f"{child['params.optimizer.name']}, {label}"
        if archs.dropna().nunique() > 1 and arch is not None:
            label += f", H = {arch}"
        if child.get("tags.chainrule.diverged") == "true":
            label += " (diverged)"
        history = client.get_metric_history(child["run_id"], "train/loss")
        rows += [
            {"panel": child.get("params.model.name", "?"), "label": label, "order": lr, "step": p.step, "loss": p.value}
            for p in history
        ]
    return pd.DataFrame(rows, columns=["panel", "label", "order", "step", "loss"])


def _architecture(child) -> str | None:
    """A child's hidden layers as its label says them: ``3`` (one layer), ``[8, 8]`` (deeper), None (logistic)."""
    width, widths = child.get("params.model.hidden_width"), child.get("params.model.hidden_widths")
    if pd.notna(width):
        return str(width)
    return str(widths) if pd.notna(widths) else None


def swept(children: pd.DataFrame) -> list[str]:
    """The ``params.*`` columns whose value differs between the children: what the sweep varied."""
    params = [c for c in children.columns if c.startswith("params.") and c != "params.sweep"]
    return sorted(c for c in params if children[c].nunique(dropna=False) > 1)


def _numeric(values: pd.Series):
    converted = pd.to_numeric(values, errors="coerce")
    return converted if converted.notna().all() else values


def sweep_figures(client: MlflowClient, children: pd.DataFrame, objective: str, base_config, keys=None,
                  searched: bool = False) -> list[FigureSpec]:
    """The parent's figures: loss curves by learning rate; for width sweeps the score against the
    width (and the decision boundaries side by side for 2-D data); for depth sweeps the score
    against the number of hidden layers; a heat map over two swept keys;
    for a search (``searched``, e.g. Optuna) the objective over the trials. As
    :class:`chainrule.plots.specs.FigureSpec`, for :func:`chainrule.plots.helper.draw`."""
    figures = []
    curves = comparison_curves(client, children)
    if not curves.empty:
        figures.append(FigureSpec("loss_comparison", "loss_comparison", (curves, "Training loss per iteration, by learning rate")))
    diverged = children["tags.chainrule.diverged"].eq("true") if "tags.chainrule.diverged" in children else False
    finished = children[(children["status"] == "FINISHED") & ~diverged]
    varied = [k for k in (keys or swept(children)) if k in children and children[k].nunique() > 1]
    if "params.model.hidden_width" in varied and "metrics.test/accuracy" in finished:
        scores = pd.DataFrame({
            "hidden_width": pd.to_numeric(finished["params.model.hidden_width"]),
            "lr": pd.to_numeric(finished["params.train.lr"]),
            "test/accuracy": finished["metrics.test/accuracy"],
        }).dropna()
        if not scores.empty:
            figures.append(FigureSpec("width_comparison", "width_comparison", (scores, "test/accuracy", "Test accuracy by hidden width")))
            boundaries = width_boundaries(finished, base_config)
            if boundaries is not None:
                figures.append(boundaries)
    if "params.model.hidden_widths" in varied and "metrics.test/accuracy" in finished:
        depths = finished["params.model.hidden_widths"].dropna().map(lambda text: text.count(",") + 1)  # "[16, 8]": 2
        if depths.nunique() > 1:
            scores = pd.DataFrame({"depth": depths, "lr": pd.to_numeric(finished["params.train.lr"]),
                                   "test/accuracy": finished["metrics.test/accuracy"]}).dropna()  # logistic runs: no depth
            figures.append(FigureSpec("depth_comparison", "depth_comparison", (scores, "test/accuracy", "Test accuracy by depth")))
    key = f"metrics.{objective}"
    if searched and key in children:
        ordered = children.sort_values("start_time")[key]
        figures.append(FigureSpec("objective_over_trials", "objective_over_trials", (
            ordered.reset_index(drop=True), objective, minimizes(objective), f"Search: {objective} per trial"
        )))
    if len(varied) == 2 and key in finished and finished[key].notna().any():
        rows, cols = varied
        grid = finished.assign(**{rows: _numeric(finished[rows]), cols: _numeric(finished[cols])})
        table = grid.pivot_table(index=rows, columns=cols, values=key, aggfunc="mean")
        table.index.name, table.columns.name = rows.removeprefix("params."), cols.removeprefix("params.")
        figures.append(FigureSpec("heatmap", "heatmap", (table, objective, f"{objective} over {table.index.name} × {table.columns.name}")))
    return figures


def width_boundaries(finished: pd.DataFrame, base_config):
    """Decision boundaries of each width's model side by side, on the sweep's data (2-D data, one
    learning rate and one dataset in the sweep only — otherwise the panels would not compare)."""
    if base_config is None or finished.get("params.train.lr", pd.Series()).nunique() != 1 or finished.empty:
        return None
    from chainrule.experiment import data  # the data only when this figure is drawn

    splits = data.splits_for(base_config)
    features = splits.table.features
    if len(features) != 2:
        return None
    panels = []
    for _, child in finished.sort_values("params.model.hidden_width", key=pd.to_numeric).iterrows():
        model = mlflow.pyfunc.load_model(f"runs:/{child['run_id']}/model").unwrap_python_model()
        panels.append((f"H = {child['params.model.hidden_width']}", model.predictor.predict_proba))
    return FigureSpec("width_boundaries", "boundaries_side_by_side",
                      (panels, splits.points(), features, "Decision boundaries by hidden width"))


def best_child(children: pd.DataFrame, objective: str) -> pd.Series | None:
    """The child with the best ``objective`` among the FINISHED ones that recorded it (a run that
    diverged records no score), or None. Failed and killed children never qualify."""
    key = f"metrics.{objective}"
    if key not in children:
        return None
    scored = children[(children["status"] == "FINISHED") & children[key].notna()]
    if scored.empty:
        return None
    return scored.loc[scored[key].idxmin() if minimizes(objective) else scored[key].idxmax()]


def summarise(client: MlflowClient, parent_id: str, children: pd.DataFrame, objective: str, base_config=None,
              keys=None, searched: bool = False) -> str:
    """Log the summary table, the comparison figures and the best child; return the parent's status.

    The figures go to the figure helper when a sequential sweep has one (it may still be drawing
    the last children's): call :func:`chainrule.plots.helper.finish` before closing the parent."""
    if children.empty:
        client.set_tag(parent_id, "chainrule.children", "0")
        return "FAILED"
    columns = ["run_id", "tags.mlflow.runName", "status"]
    columns += sorted(c for c in children.columns
                      if c.startswith(("params.model.", "params.optimizer.", "params.train.", "params.dataset.")))
    columns += sorted(c for c in children.columns if c.startswith("metrics.") and not c.startswith("metrics.time/"))
    table = children[columns].rename(columns={"tags.mlflow.runName": "run_name"})
    client.log_text(parent_id, table.to_csv(index=False), "sweep_summary.csv")

    helper.draw(sweep_figures(client, children, objective, base_config, keys, searched), *records.figure_delivery(parent_id))

    best = best_child(children, objective)
    if best is not None:
        client.set_tag(parent_id, "chainrule.best_run_id", best["run_id"])
        client.set_tag(parent_id, "chainrule.best_run_name", best["tags.mlflow.runName"])
        client.log_metric(parent_id, f"best/{objective}", float(best[f"metrics.{objective}"]))
    failed = int((children["status"] != "FINISHED").sum())
    client.set_tag(parent_id, "chainrule.children", str(len(children)))
    client.set_tag(parent_id, "chainrule.failed_children", str(failed))
    if (children["status"] == "KILLED").any():
        return "KILLED"
    return "FINISHED" if failed == 0 else "FAILED"
