"""The core's arithmetic for the seed's two models as it was before the core grew (commit 1dbb1f6).

Frozen here as the oracle of ``test_seed_stays_exact.py``: logistic regression and the
one-hidden-layer network with one sigmoid output, trained by plain gradient descent, operation
for operation as the core did it then (the activations and the loss kernels are unchanged and
shared). Recorded fingerprints would tie the test to one CPU's ``exp``; this runs anywhere.
"""

import math

import numpy as np

from chainrule.core import ACTIVATIONS, design_matrix
from chainrule.core.losses import loss_and_delta, loss_sum


def _forward(params, activation, A, ws):
    n = A.shape[0]
    if "W1a" not in params:  # logistic regression: z = A [b, w]ᵀ
        return np.matmul(A, params["bw"], out=ws["z"][:n])
    H1 = np.matmul(A, params["W1a"].T, out=ws["H1"][:n])
    ACTIVATIONS[activation].evaluate(H1, ws["slope"][:n])
    z = np.matmul(H1, params["w"], out=ws["z"][:n])
    z += params["b"]
    return z


def _loss_and_step(params, weights, activation, A, sign, lr, l2, ws):
    n = A.shape[0]
    z = _forward(params, activation, A, ws)
    dz = ws["dz"][:n]
    mean = loss_and_delta(z, sign, lr / n, dz, ws["ns"]) / n
    grads = ws["grads"]
    if "W1a" not in params:
        np.matmul(dz, A, out=grads["bw"])
    else:
        np.sum(dz, out=grads["b"])
        np.matmul(dz, ws["H1"][:n], out=grads["w"])
        dzA = np.multiply(A, dz[:, None], out=ws["dzA"][:n])
        np.matmul(ws["slope"][:n].T, dzA, out=grads["W1a"])
        grads["W1a"] *= params["w"][:, None]
    if l2:
        mean += _penalty(weights, l2)
        for name, (W, gW) in weights.items():
            gW += (lr * l2) * W
    return mean


def _penalty(weights, l2):
    return 0.5 * l2 * sum(float(np.square(W).sum()) for W, _ in weights.values()) if l2 else 0.0


def fit_before(initial: dict, activation, X, y, lr, iterations, batch_size=None, *, shuffle=False, seed=0,
               l2=0.0, validation_data=None, dtype=np.float64):
    """Train from the seed-named ``initial`` weights as the old ``fit`` did; returns (losses, val_losses, params)."""
    one_layer = "W1" in initial
    if one_layer:
        H, D = initial["W1"].shape
        params = {"W1a": np.empty((H, 1 + D), dtype), "w": np.array(initial["w"], dtype), "b": np.array(initial["b"], dtype)}
        params["W1a"][:, 0], params["W1a"][:, 1:] = initial["b1"], initial["W1"]
        weights_of = lambda p, g: {"W1": (p["W1a"][:, 1:], g["W1a"][:, 1:]), "w": (p["w"], g["w"])}  # noqa: E731
    else:
        params = {"bw": np.concatenate([[initial["b"]], initial["w"]]).astype(dtype)}
        weights_of = lambda p, g: {"w": (p["bw"][1:], g["bw"][1:])}  # noqa: E731

    def buffers(n):
        ws = {"z": np.empty(n, dtype), "dz": np.empty(n, dtype), "grads": {k: np.empty_like(v) for k, v in params.items()}}
        ws["ns"] = type("NS", (), {})()
        for name in ("m", "losses", "scratch"):
            setattr(ws["ns"], name, np.empty(n, dtype))
        if one_layer:
            ws |= {"H1": np.empty((n, H), dtype), "slope": np.empty((n, H), dtype), "dzA": np.empty((n, 1 + D), dtype)}
        return ws

    A, sign = design_matrix(np.asarray(X, dtype)), 1 - 2 * np.asarray(y, dtype)
    n = A.shape[0]
    batch_size = n if batch_size is None else batch_size
    ws = buffers(batch_size)
    weights = weights_of(params, ws["grads"])
    if validation_data is not None:
        A_val, sign_val = design_matrix(np.asarray(validation_data[0], dtype)), 1 - 2 * np.asarray(validation_data[1], dtype)
        ws_val = buffers(A_val.shape[0])
    rng = np.random.default_rng(seed)
    losses, val_losses = [], []
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for _ in range(iterations):
            if validation_data is not None:
                val = loss_sum(_forward(params, activation, A_val, ws_val), sign_val, ws_val["ns"]) / A_val.shape[0]
                val_losses.append(val + _penalty(weights, l2))
            order = rng.permutation(n) if shuffle and batch_size < n else None
            total = 0.0
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                rows = slice(start, stop) if order is None else order[start:stop]
                batch_loss = _loss_and_step(params, weights, activation, A[rows], sign[rows], lr, l2, ws)
                assert math.isfinite(batch_loss)
                for name, value in params.items():
                    value -= ws["grads"][name]
                total += batch_loss * (stop - start)
            losses.append(total / n)
    return np.asarray(losses), np.asarray(val_losses), params
