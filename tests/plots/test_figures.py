"""Every figure on tiny data: the axes, titles and artists a reader relies on, and a non-empty PNG."""

import io

import numpy as np
import pandas as pd

from chainrule.plots import figures as plots
from chainrule.core import MLP, fit

RNG = np.random.default_rng(0)
Y = {"train": np.array([0, 1, 0, 1, 1, 0]), "test": np.array([0, 1, 1, 0])}
P = {"train": np.array([0.1, 0.8, 0.3, 0.7, 0.9, 0.2]), "test": np.array([0.2, 0.6, 0.4, 0.45])}


def png_bytes(fig) -> int:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.tell()


def test_loss_curve_draws_train_and_validation_on_a_log_axis():
    fig = plots.loss_curve(np.linspace(0.7, 0.1, 20), np.linspace(0.7, 0.2, 20), "run: loss")
    (ax,) = fig.axes
    assert ax.get_title() == "run: loss" and ax.get_xlabel() == "iteration"
    assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel()
    assert [line.get_label() for line in ax.get_lines()] == ["train", "validation"]
    assert len(ax.get_lines()[0].get_xdata()) == 20
    assert png_bytes(fig) > 5_000


def test_loss_curve_marks_the_iteration_whose_weights_early_stopping_kept():
    (ax,) = plots.loss_curve(np.linspace(0.7, 0.1, 20), np.linspace(0.7, 0.3, 20), "t", kept=12).axes
    assert [line.get_label() for line in ax.get_lines()] == ["train", "validation", "kept weights (iteration 12)"]
    assert list(ax.get_lines()[2].get_xdata()) == [12, 12]


def test_loss_curve_can_be_linear_and_without_validation():
    (ax,) = plots.loss_curve(np.ones(5), None, "t", log_scale=False).axes
    assert ax.get_yscale() == "linear" and len(ax.get_lines()) == 1


def test_roc_curve_has_one_curve_per_split_and_the_chance_line():
    fig = plots.roc_curve(Y, P, "run: ROC")
    (ax,) = fig.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0].startswith("train (AUC = ") and labels[1].startswith("test (AUC = ") and labels[2] == "chance"
    assert ax.get_xlabel() == "false positive rate" and ax.get_ylabel() == "true positive rate"
    assert png_bytes(fig) > 5_000


def test_confusion_matrix_counts_at_threshold_one_half_with_the_original_labels():
    fig = plots.confusion_matrix(Y["test"], P["test"], {0: "benign", 1: "malignant"}, "run: test confusion matrix")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["benign", "malignant"]
    assert sorted(int(t.get_text()) for t in ax.texts) == [0, 1, 1, 2]  # tn=2, fp=0, fn=1, tp=1
    assert ax.get_title() == "run: test confusion matrix" and png_bytes(fig) > 5_000


def two_d_model():
    X = RNG.standard_normal((40, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = MLP(2, 3, "tanh", init="xavier")
    fit(model, X, y, 0.5, 50)
    return model, {"train": (X[:30], y[:30]), "test": (X[30:], y[30:])}


def test_decision_boundary_draws_the_probability_surface_and_every_point():
    model, points = two_d_model()
    fig = plots.decision_boundary(model.predict_proba, points, ["x1", "x2"], "run: boundary", resolution=40)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("x1", "x2", "run: boundary")
    assert sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets") and c.get_offsets().shape[1:] == (2,)) >= 40
    assert len(fig.axes) == 2  # the plot and its colour bar
    assert png_bytes(fig) > 10_000


# K = 3 classes: probabilities per class, rows summing to 1
Y3 = {"train": np.array([0, 1, 2, 0, 1, 2]), "test": np.array([0, 1, 2, 2])}
P3 = {split: np.eye(3)[labels] * 0.7 + 0.1 for split, labels in Y3.items()}
P3["test"][3] = [0.1, 0.7, 0.2]  # the last test row, class 2, taken for class 1


def test_roc_curve_for_k_classes_has_one_curve_per_class_against_the_rest_on_the_test_split():
    (ax,) = plots.roc_curve(Y3, P3, "run: ROC", {0: "setosa", 1: "versicolor", 2: "virginica"}).axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert [label.split(" (AUC")[0] for label in labels] == ["setosa vs rest", "versicolor vs rest", "virginica vs rest", "chance"]
    assert ax.get_title() == "run: ROC (test, one vs rest)"


def test_confusion_matrix_for_k_classes_counts_the_most_probable_class():
    fig = plots.confusion_matrix(Y3["test"], P3["test"], {0: "a", 1: "b", 2: "c"}, "t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    counts = sorted(int(t.get_text()) for t in ax.texts)
    assert len(counts) == 9 and sum(counts) == 4 and counts[-1] == 1 and counts.count(1) == 4


def test_decision_regions_for_k_classes_colour_the_plane_by_class_without_a_colour_bar():
    X = RNG.standard_normal((60, 2))
    y = np.digitize(X[:, 0], [-0.5, 0.5])  # three vertical bands
    model = MLP(2, 8, "tanh", init="xavier", n_classes=3)
    fit(model, X, y, 0.5, 200)
    fig = plots.decision_boundary(model.predict_proba, {"train": (X[:45], y[:45]), "test": (X[45:], y[45:])},
                                  ["x1", "x2"], "regions", resolution=30)
    (ax,) = fig.axes
    (image,) = ax.get_images()
    assert image.get_array().shape == (30, 30, 3)
    assert sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets") and c.get_offsets().shape[1:] == (2,)) >= 60
    assert png_bytes(fig) > 10_000


def test_gradient_flow_has_a_line_per_layer_for_norms_and_update_ratios_with_the_rule_of_thumb():
    norms = {"W1": np.geomspace(1e-3, 1e-4, 50), "W2": np.geomspace(1e-2, 1e-3, 50), "w": np.geomspace(1e-1, 1e-2, 50)}
    fig = plots.gradient_flow(norms, {k: v / 10 for k, v in norms.items()}, "run: gradient flow")
    left, right = fig.axes
    assert [line.get_label() for line in left.get_lines()] == ["W1", "W2", "w"]
    assert [line.get_label() for line in right.get_lines()][-1] == "1e-3 (rule of thumb)"
    assert left.get_yscale() == right.get_yscale() == "log" and png_bytes(fig) > 10_000


def test_loss_comparison_has_a_panel_per_model_and_marks_divergence():
    curves = pd.DataFrame([
        {"panel": panel, "label": label, "order": order, "step": step, "loss": 0.7 / (1 + step)}
        for panel in ("logistic", "mlp")
        for label, order in (("α = 0.1", 0.1), ("α = 1 (diverged)", 1.0))
        for step in range(5)
    ])
    fig = plots.loss_comparison(curves, "by learning rate")
    assert [ax.get_title() for ax in fig.axes] == ["logistic", "mlp"]
    for ax in fig.axes:
        assert ax.get_yscale() == "log"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["α = 0.1", "α = 1 (diverged)"]
        assert len(ax.get_lines()) == 3  # two curves and the ✕ where the diverged one stopped
    assert png_bytes(fig) > 5_000


def test_width_comparison_plots_the_score_against_width():
    scores = pd.DataFrame({"hidden_width": [1, 2, 4, 1, 2, 4], "lr": [0.1] * 3 + [1.0] * 3, "test/accuracy": np.linspace(0.6, 0.9, 6)})
    (ax,) = plots.width_comparison(scores, "test/accuracy", "by width").axes
    assert len(ax.get_lines()) == 2 and ax.get_xscale() == "log" and ax.get_ylabel() == "test/accuracy"


def test_depth_comparison_plots_the_score_against_the_number_of_hidden_layers():
    scores = pd.DataFrame({"depth": [1, 2, 3] * 2, "lr": [0.1] * 3 + [1.0] * 3, "test/accuracy": np.linspace(0.6, 0.9, 6)})
    (ax,) = plots.depth_comparison(scores, "test/accuracy", "by depth").axes
    assert len(ax.get_lines()) == 2 and ax.get_xscale() == "linear" and ax.get_xlabel() == "hidden layers L"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]


def test_boundaries_side_by_side_has_one_panel_per_model():
    model, points = two_d_model()
    fig = plots.boundaries_side_by_side([("H = 2", model.predict_proba), ("H = 3", model.predict_proba)], points, ["x1", "x2"], "t", 20)
    assert [ax.get_title() for ax in fig.axes] == ["H = 2", "H = 3"]


def test_heatmap_annotates_every_cell():
    table = pd.DataFrame([[0.3, 0.2], [0.25, np.nan]], index=pd.Index([1, 2], name="model.hidden_width"),
                         columns=pd.Index([0.1, 1.0], name="train.lr"))
    fig = plots.heatmap(table, "val/log_loss", "grid")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.3", "0.2", "0.25", "—"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("train.lr", "model.hidden_width")
    assert png_bytes(fig) > 5_000


def test_objective_over_trials_marks_failed_trials_and_the_best_so_far():
    values = pd.Series([0.5, np.nan, 0.3, 0.4])
    (ax,) = plots.objective_over_trials(values, "val/log_loss", True, "search").axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["trial", "best so far", "failed or diverged"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), [0.5, 0.5, 0.3, 0.3])


def parts_outside_the_canvas(fig) -> list[str]:
    """The panels of ``fig`` whose drawn labels (ticks, axis labels, title, legend) a PNG of it would
    cut, and its own texts (the suptitle) that it would cut."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    canvas = fig.bbox.padded(0.5)  # half a pixel of rounding
    inside = lambda box: canvas.contains(box.x0, box.y0) and canvas.contains(box.x1, box.y1)  # noqa: E731
    cut = [ax.get_title() or ax.get_ylabel() or "a panel" for ax in fig.axes if not inside(ax.get_tightbbox(renderer))]
    return cut + [t.get_text() for t in fig.texts if t.get_text() and not inside(t.get_window_extent(renderer))]


def test_figures_drawn_with_fixed_margins_keep_every_label_on_the_canvas():
    """The per-run figures and a sweep's line plots use fixed margins, not a layout engine (faster):
    nothing a reader needs may fall off the image."""
    model, points = two_d_model()
    many_decades = np.geomspace(30, 3e-5, 200)  # the widest tick labels the plain log axis writes
    curves = pd.DataFrame([{"panel": panel, "label": f"α = {lr:g}", "order": lr, "step": step, "loss": loss * lr}
                           for panel in ("logistic", "mlp") for lr in (0.01, 1.0) for step, loss in enumerate(many_decades)])
    scores = pd.DataFrame({"hidden_width": [1, 2, 64] * 2, "lr": [0.1] * 3 + [1.0] * 3, "test/accuracy": np.linspace(0.6, 0.9, 6)})
    figures = {
        "loss_curve": plots.loss_curve(many_decades, many_decades / 2, "mlp-h16-lr0.5: loss per iteration", kept=120),
        "roc_curve": plots.roc_curve(Y, P, "mlp-h16-lr0.5: ROC"),
        "confusion_matrix": plots.confusion_matrix(Y["test"], P["test"], {0: "benign", 1: "malignant"},
                                                   "mlp-h16-lr0.5\ntest confusion matrix"),
        "decision_boundary": plots.decision_boundary(model.predict_proba, points, ["x1", "x2"], "mlp: ŷ and the data", resolution=20),
        "loss_comparison, one panel": plots.loss_comparison(curves[curves["panel"] == "mlp"], "Training loss per iteration, by learning rate"),
        "loss_comparison, two panels": plots.loss_comparison(curves, "Training loss per iteration, by learning rate"),
        "width_comparison": plots.width_comparison(scores, "test/accuracy", "Test accuracy by hidden width"),
        "objective_over_trials": plots.objective_over_trials(pd.Series([0.5, np.nan, 0.3]), "val/log_loss", True, "Search: val/log_loss per trial"),
    }
    assert {name: cut for name, fig in figures.items() if (cut := parts_outside_the_canvas(fig))} == {}


def labelled_y_ticks(ax) -> list[str]:
    """The y tick labels a reader sees: drawn ones within the axis, major and minor."""
    ax.figure.savefig(io.BytesIO(), format="png")
    low, high = ax.get_ylim()
    ticks = [*zip(ax.get_yticklabels(), ax.get_yticks()), *zip(ax.yaxis.get_minorticklabels(), ax.yaxis.get_minorticklocs())]
    return sorted((t.get_text() for t, at in ticks if low <= at <= high and t.get_text()), key=float)


def test_a_log_loss_axis_labels_in_plain_numbers_and_only_decades_when_it_spans_several():
    (within_a_decade,) = plots.loss_curve(np.geomspace(0.69, 0.25, 50), None, "t").axes
    assert labelled_y_ticks(within_a_decade) == ["0.3", "0.4", "0.6"]  # minor ticks labelled: there is no decade in view
    (six_decades,) = plots.loss_curve(np.geomspace(30, 3e-5, 50), None, "t").axes
    assert labelled_y_ticks(six_decades) == ["0.0001", "0.001", "0.01", "0.1", "1", "10"]  # 2, 3, … 9 × 10^k would collide
