"""The seed's own setups compute what they computed before the core grew (depth, optimizers,
schedules, K classes): the same loss history and the same final weights, bit for bit.

The oracle is the old arithmetic, frozen in ``seed_core_before.py``.
"""

import numpy as np
import pytest

from chainrule.core import MLP, LogisticRegression, fit
from chainrule.core.initializers import small

from .seed_core_before import fit_before


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = ((X[:, 0] * X[:, 1] > 0) ^ (rng.random(n) < 0.1)).astype(np.int64)
    return X, y


SETUPS = {
    "listing 4: logistic regression, full batch": (lambda: LogisticRegression(2), 100, dict(lr=0.1, iterations=200)),
    "listing 8: 2-2-1 ReLU network, one example per step": (lambda: MLP(2, 2, "relu"), 40, dict(lr=0.05, iterations=20, batch_size=1)),
    "exercise 3: three tanh units, full batch": (lambda: MLP(2, 3, "tanh"), 100, dict(lr=0.5, iterations=300)),
    "mini-batches, shuffled, L2, validation": (
        lambda: MLP(2, 8, "leaky_relu", init="he", seed=3), 100,
        dict(lr=0.2, iterations=50, batch_size=16, shuffle=True, seed=4, l2=1e-3, validation_data=_data(30, seed=1))),
    "float32 network, sigmoid units": (
        lambda: MLP(2, 4, "sigmoid", init="xavier", dtype=np.float32), 100, dict(lr=1.0, iterations=100)),
    "float32 logistic regression, unshuffled mini-batches": (
        lambda: LogisticRegression(2, dtype=np.float32), 100, dict(lr=0.3, iterations=30, batch_size=7)),
}


@pytest.mark.parametrize("setup", SETUPS)
def test_the_seeds_setups_train_bit_for_bit_as_before_the_core_grew(setup):
    make_model, n, settings = SETUPS[setup]
    model = make_model()
    X, y = _data(n)
    initial = {name: value.copy() for name, value in model.params.items()}
    activation = getattr(model, "activation", None)

    history = fit(model, X, y, **settings)
    losses, val_losses, params = fit_before(initial, activation, X, y, dtype=model.dtype, **settings)

    assert np.array_equal(history.loss, losses)
    if "validation_data" in settings:
        assert np.array_equal(history.val_loss, val_losses)
    if "W1" in model.params:
        assert np.array_equal(model.params["W1"], params["W1a"][:, 1:]) and np.array_equal(model.params["b1"], params["W1a"][:, 0])
        assert np.array_equal(model.params["w"], params["w"]) and np.array_equal(model.params["b"], params["b"])
    else:
        assert np.array_equal(model.params["w"], params["bw"][1:]) and np.array_equal(model.params["b"], params["bw"][0])
    assert not np.array_equal(model.params["w"], initial["w"])  # it trained: agreement on a no-op proves nothing


def test_the_seeds_network_draws_its_initial_weights_as_before():
    # W1 first, then w, from one default_rng(seed); biases at zero (listings 4 and 8)
    rng = np.random.default_rng(7)
    model = MLP(2, 3, "relu", seed=7)
    np.testing.assert_array_equal(model.params["W1"], small(rng, 2, 3, (3, 2)))
    np.testing.assert_array_equal(model.params["w"], small(rng, 3, 1, (3,)))
    assert not model.params["b1"].any() and model.params["b"] == 0
