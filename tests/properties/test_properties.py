"""Property-based tests (hypothesis): what must hold for every shape, activation, dtype and input."""

import warnings

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chainrule.errors import ConfigError
from chainrule.experiment import data
from chainrule.core import ACTIVATIONS, MLP, LogisticRegression, binary_cross_entropy, numerical_gradients, sigmoid

SLOW_OK = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def network(draw_args):
    n, d, h, activation, seed = draw_args
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, 2, n)
    return X, y, MLP(d, h, activation, init="xavier", seed=seed)


shapes = st.tuples(
    st.integers(1, 8), st.integers(1, 5), st.integers(1, 6), st.sampled_from(sorted(ACTIVATIONS)), st.integers(0, 2**16)
)


def clear_of_kinks(model, X, eps):
    A = X @ model.params["W1"].T + model.params["b1"]
    return model.activation in ("tanh", "sigmoid") or np.abs(A).min() > 10 * eps * (1 + np.abs(X).max())


def matches_central_differences(a, n, rtol=1e-6):
    """Relative agreement, give or take central differences' own rounding error: about ε·|L|/eps
    ≈ 1e-11 per component at eps = 1e-5, which a gradient of 1e-6 (one hidden unit, a flat
    spot) would otherwise turn into a relative error of 1e-5."""
    return np.linalg.norm(a - n) <= rtol * (np.linalg.norm(a) + np.linalg.norm(n)) + 1e-10


def tracks_in_float32(a32, a64, rtol=1e-4):
    """Relative agreement, give or take float32's own rounding: a gradient sums per-sample terms
    of order one (standard-normal inputs times errors within ±1), each rounded by ε₃₂ ≈ 6e-8, so
    an absolute error of about 1e-7 is float32 working as it should; a gradient of 1e-5 (a flat
    spot) would otherwise turn it into a relative error above 1e-4."""
    return np.linalg.norm(a32 - a64) <= rtol * (np.linalg.norm(a32) + np.linalg.norm(a64)) + 1e-6


@SLOW_OK
@given(shapes)
def test_backpropagation_matches_central_differences_for_any_shape_and_activation(args):
    X, y, model = network(args)
    assume(clear_of_kinks(model, X, 1e-5))
    analytic, numerical = model.gradients(X, y), numerical_gradients(model, X, y)
    for name in analytic:
        assert matches_central_differences(analytic[name], numerical[name]), name


@SLOW_OK
@given(shapes)
def test_float32_backpropagation_tracks_the_float64_gradient(args):
    X, y, model64 = network(args)
    assume(clear_of_kinks(model64, X, 1e-3))
    n, d, h, activation, seed = args
    model32 = MLP(d, h, activation, init="xavier", seed=seed, dtype=np.float32)
    analytic = model32.gradients(X, y)
    reference = model64.gradients(X, y)
    for name in analytic:
        assert analytic[name].dtype == np.float32
        assert tracks_in_float32(analytic[name], reference[name]), name


@SLOW_OK
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**16))
def test_logistic_gradients_match_central_differences(n, d, seed):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.integers(0, 2, n)
    model = LogisticRegression(d, init="xavier", seed=seed)
    analytic, numerical = model.gradients(X, y), numerical_gradients(model, X, y)
    for name in analytic:
        assert matches_central_differences(analytic[name], numerical[name])


logits = st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=50)


@given(logits, st.data(), st.sampled_from([np.float64, np.float32]))
def test_any_logit_in_range_gives_a_finite_loss_and_probabilities_without_warnings(z, draw, dtype):
    y = draw.draw(st.lists(st.integers(0, 1), min_size=len(z), max_size=len(z)))
    z = np.asarray(z, dtype=dtype)
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = binary_cross_entropy(y, z)
        p = sigmoid(z)
    assert np.isfinite(loss) and loss >= 0
    assert np.all((p >= 0) & (p <= 1))


csv_text = st.text(alphabet=st.sampled_from(list("ab,y01.-e\n\"x \tinf nan")), max_size=300)


@settings(deadline=None, max_examples=200)
@given(csv_text, st.sampled_from(["y", "a", "b", "label"]))
def test_garbage_csv_files_fail_only_with_a_config_error(tmp_path_factory, text, target):
    path = tmp_path_factory.mktemp("csv") / "garbage.csv"
    path.write_text(text)
    try:
        table = data._read_csv(str(path), target, None)
        data.split(table, 0.2, 0.2, True, 0)
    except ConfigError:
        pass


@settings(deadline=None, max_examples=100)
@given(st.binary(max_size=300), st.sampled_from(["y", "a"]))
def test_binary_garbage_fails_only_with_a_config_error(tmp_path_factory, raw, target):
    path = tmp_path_factory.mktemp("csv") / "garbage.csv"
    path.write_bytes(raw)
    try:
        data.split(data._read_csv(str(path), target, None), 0.2, 0.2, True, 0)
    except ConfigError:
        pass
