"""TensorFlow Playground's views, drawn: snapshot frames and their GIF, neuron maps, the network, the loss landscape."""

import io

import numpy as np
from PIL import Image

from chainrule.plots import figures as plots
from chainrule.plots.training import save_animation, surface_frames

RNG = np.random.default_rng(0)
EXTENT = (-1.0, 1.0, -1.0, 1.0)
POINTS = {"train": (RNG.uniform(-1, 1, (40, 2)), np.arange(40) % 2)}


def surfaces(n, K=2, r=20):
    """n different surfaces over an r × r grid: a boundary x₁ = c moving from left to right."""
    x1 = np.linspace(-1, 1, r)[None, :].repeat(r, axis=0)
    binary = np.stack([1 / (1 + np.exp(-8 * (x1 - c))) for c in np.linspace(-0.8, 0.8, n)])
    return binary if K == 2 else np.stack([binary * (k + 1) for k in range(K)], axis=-1) / (K * (K + 1) / 2)


def test_each_snapshot_becomes_one_rgb_frame_and_different_surfaces_look_different():
    frames = surface_frames(surfaces(4), EXTENT, POINTS, ["x1", "x2"], [f"iteration {i}" for i in range(4)], "run")
    assert len(frames) == 4
    assert all(f.dtype == np.uint8 and f.ndim == 3 and f.shape[2] == 3 and f.shape == frames[0].shape for f in frames)
    assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))


def test_frames_of_the_same_surface_differ_only_in_the_caption():
    same = np.repeat(surfaces(1), 2, axis=0)
    a, b = surface_frames(same, EXTENT, POINTS, ["x1", "x2"], ["iteration 1", "iteration 1"], "run")
    np.testing.assert_array_equal(a, b)  # everything redrawn per frame comes back exactly
    c, d = surface_frames(same, EXTENT, POINTS, ["x1", "x2"], ["iteration 1", "iteration 2"], "run")
    changed = np.argwhere((c != d).any(axis=2))
    assert 0 < len(changed) < 0.02 * c.shape[0] * c.shape[1]  # a few characters of the caption


def test_k_class_frames_and_frames_with_the_neurons_beside_them():
    three = surface_frames(surfaces(3, K=3), EXTENT, {"train": (POINTS["train"][0], np.arange(40) % 3)}, ["a", "b"],
                           ["1", "2", "3"], "run")
    assert len(three) == 3 and not np.array_equal(three[0], three[2])
    neurons = [[RNG.standard_normal((5, 8, 8)), RNG.standard_normal((3, 8, 8))] for _ in range(2)]
    wide = surface_frames(surfaces(2), EXTENT, POINTS, ["x1", "x2"], ["1", "2"], "run", neurons)
    assert wide[0].shape[1] > three[0].shape[1] and wide[0].shape[0] == three[0].shape[0]


def test_the_animation_is_a_looping_gif_of_every_frame_holding_the_last(tmp_path):
    frames = surface_frames(surfaces(5), EXTENT, POINTS, ["x1", "x2"], [str(i) for i in range(5)], "run")
    save_animation(frames, tmp_path / "training.gif", seconds_per_frame=0.5, hold_last=2.5)
    with Image.open(tmp_path / "training.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == 5 and gif.info["loop"] == 0
        durations = []
        for i in range(5):
            gif.seek(i)
            durations.append(gif.info["duration"])
            assert gif.size == (frames[0].shape[1], frames[0].shape[0])
        assert durations == [500, 500, 500, 500, 2500]


def test_neuron_maps_draw_one_map_per_neuron_each_centred_on_zero():
    outputs = RNG.standard_normal((10, 12, 12))
    fig = plots.neuron_maps(outputs, EXTENT, ["x1", "x2"], "layer 1")
    maps = [ax for ax in fig.axes if ax.get_images()]
    assert len(maps) == 10
    for k, ax in enumerate(maps):
        low, high = ax.get_images()[0].get_clim()
        assert low == -high == -np.abs(outputs[k]).max()
        assert ax.get_title().startswith(f"neuron {k + 1} ")


def links(fig):
    """(number of links, their widths, their colours) over every column pair of a network diagram."""
    collections = [c for c in fig.axes[0].collections if isinstance(c, plots.mpl.LineCollection)]
    return (sum(len(c.get_segments()) for c in collections),
            np.concatenate([c.get_linewidths() for c in collections]),
            np.concatenate([c.get_colors() for c in collections]))


def test_the_network_draws_every_link_by_its_weight_with_the_inputs_named():
    W1 = np.array([[1.0, -2.0], [0.5, 0.0], [-0.25, 4.0]])
    w = np.array([[2.0, -1.0, 0.5]])
    fig = plots.network_diagram([W1, w], [["x1^2", "sin(x2)"], ["a", "b", "c"], ["P(1)"]], "net")
    n, widths, colors = links(fig)
    assert n == 6 + 3
    assert widths.max() == widths[np.argmax(widths)] and np.isclose(widths.max(), 0.3 + 4.0)  # |w| = 4: the widest
    blue, orange = np.array(plots.mpl.colors.to_rgba("#0877bd")), np.array(plots.mpl.colors.to_rgba("#f59322"))
    signs = np.concatenate([np.sign(W1.ravel()[np.argsort(np.abs(W1).ravel(), kind="stable")[::-1]]),
                            np.sign(w.ravel()[np.argsort(np.abs(w).ravel(), kind="stable")[::-1]])])
    for sign, color in zip(signs, colors):
        assert np.allclose(color[:3], (blue if sign >= 0 else orange)[:3])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"x1^2", "sin(x2)", "P(1)"} <= set(texts)
    assert "left out" not in fig._suptitle.get_text()


def test_six_layers_of_sixteen_are_drawn_whole_and_beyond_that_the_smallest_links_are_left_out():
    six = [RNG.standard_normal((16, 2))] + [RNG.standard_normal((16, 16)) for _ in range(5)] + [RNG.standard_normal((1, 16))]
    names = [["x1", "x2"]] + [[str(k) for k in range(16)]] * 6 + [["P(1)"]]
    fig = plots.network_diagram(six, names, "six")
    assert links(fig)[0] == sum(W.size for W in six) and "left out" not in fig._suptitle.get_text()
    wide = [RNG.standard_normal((32, 2)), RNG.standard_normal((32, 32)), RNG.standard_normal((1, 32))]
    fig = plots.network_diagram(wide, [["x1", "x2"], [""] * 32, [""] * 32, ["P(1)"]], "wide")
    left_out = 32 * 32 - 256
    assert links(fig)[0] == sum(W.size for W in wide) - left_out
    assert f"{left_out} of {sum(W.size for W in wide)} links left out" in fig._suptitle.get_text()


def test_the_network_puts_each_nodes_map_inside_it_for_two_feature_data():
    W1, w = RNG.standard_normal((3, 2)), RNG.standard_normal((1, 3))
    maps = [RNG.standard_normal((2, 6, 6)), RNG.standard_normal((3, 6, 6)), RNG.standard_normal((1, 6, 6))]
    fig = plots.network_diagram([W1, w], [["x1", "x2"], ["a", "b", "c"], ["P(1)"]], "net", maps=maps)
    assert len(fig.axes[0].get_images()) == 2 + 3 + 1


def test_the_loss_landscape_draws_the_contours_and_the_path_from_start_to_end():
    w1, w2 = np.linspace(-3, 3, 30), np.linspace(-2, 2, 20)
    loss = 0.1 + (w1[None, :] - 1) ** 2 + (w2[:, None] + 0.5) ** 2
    path = np.column_stack([np.linspace(-2, 1, 50), np.linspace(1.5, -0.5, 50)])
    fig = plots.loss_landscape(w1, w2, loss, path, 0.3, ["x1", "x2"], "landscape")
    ax = fig.axes[0]
    (descent,) = [line for line in ax.get_lines() if line.get_label() == "gradient descent"]
    np.testing.assert_array_equal(descent.get_xdata(), path[:, 0])
    assert "x1" in ax.get_xlabel() and "x2" in ax.get_ylabel() and "b = 0.3" in fig.axes[1].get_ylabel()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.tell() > 5_000
