"""Training speed of the core against scikit-learn's ``MLPClassifier`` doing the same arithmetic.

Both start from the same weights and run the same epochs (same depth, output, optimizer and
batches) on the same data; their repetitions alternate, so machine noise hits both alike, and
each side's fastest repetition is kept: on a shared virtual machine (a third of this one's CPU
time is stolen by its neighbours at times) noise only ever adds time, so the minimum is the
least disturbed measure of each — the ``timeit`` module's advice. The
final weights are compared too, to show the two did the same computation. Every row also puts the
core beside the floor of its own arithmetic, the iteration's matrix products alone (a speed-up
target above scikit-learn / those products cannot be met by cutting the rest), and a last row
does so at the issue's full shapes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from chainrule.core import MLP, backprop, fit
from chainrule.benchmarks.sklearn_reference import fit_quietly, reference_classifier


@dataclass(frozen=True)
class Case:
    """One benchmark row. ``target`` is the minimum speed-up over scikit-learn (float64)."""

    name: str
    n_samples: int
    n_features: int
    hidden_widths: tuple[int, ...]
    iterations: int
    dtype: str = "float64"
    target: float = 1.0
    optimizer: str = "gd"
    n_classes: int = 2
    batch_size: int | None = None
    lr: float | None = None  # None: the section's learning rate


def _data(case: Case, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((case.n_samples, case.n_features))
    if case.n_classes == 2:
        y = (X[:, 0] * X[:, -1] + 0.3 * rng.standard_normal(case.n_samples) > 0).astype(int)
    else:
        y = np.argmax(X @ rng.standard_normal((case.n_features, case.n_classes)), axis=1)
    return X, y


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _weight_gap(model: MLP, clf) -> float:
    L = len(model.hidden_widths)
    ours = [model.params[f"W{l}"].T for l in range(1, L + 1)] + [model.params["w"].T.reshape(clf.coefs_[L].shape)]
    ours += [model.params[f"b{l}"] for l in range(1, L + 1)] + [model.params["b"].reshape(-1)]
    return max(float(np.abs(a - b).max()) for a, b in zip(ours, clf.coefs_ + clf.intercepts_))


def epoch_products(model: MLP, n: int, batch_size: int | None, seed: int = 0, rows: int | None = None):
    """A function doing the matrix products of one epoch of ``model`` over ``n`` rows, and nothing else.

    The same shapes as the core's, batch by batch and block by block of ``rows`` rows (by default
    the core's own, ``backprop.block_rows``), on random operands: each hidden layer's forward
    ``[1, H_{l−1}] [b_l | W_l]ᵀ``, the output's logits, its gradient ``δᵀ [1, H_L]`` (``δᵀ H_L``
    and the vector ``w`` for two classes), each hidden layer's gradient ``∂A_lᵀ [1, H_{l−1}]`` and,
    below the top, ``∂A_l [b_l | W_l]`` towards the layer beneath (eqs. 61–71). What an iteration
    takes beyond these is its elementwise passes and Python: the floor the row's speed-up is bound by.
    """
    rng = np.random.default_rng(seed)
    widths, K = (model.n_features, *model.hidden_widths), 1 if model.n_classes == 2 else model.n_classes
    batch = batch_size or n
    rows = rows or min(batch, backprop.block_rows(model))
    spans = [slice(start + b.start, start + b.stop) for start in range(0, n, batch)
             for b in backprop.blocks(min(batch, n - start), rows)]
    # The design matrix is the whole batch, read block by block as the core reads it; the layers'
    # buffers are one block each, as the core's workspace.
    design = rng.standard_normal((n, 1 + widths[0])).astype(model.dtype)
    inputs = [None] + [rng.standard_normal((rows, 1 + w)).astype(model.dtype) for w in widths[1:]]
    weights = [rng.standard_normal((w, 1 + v)).astype(model.dtype) for v, w in zip(widths, (*widths[1:], K))]
    errors = [rng.standard_normal((rows, w)).astype(model.dtype) for w in (*widths[1:], K)]
    outputs = [np.empty((rows, w), model.dtype) for w in (*widths[1:], K)]
    below = [np.empty((rows, 1 + w), model.dtype) for w in widths]
    grads = [np.empty_like(W) for W in weights]
    top, z = len(weights) - 1, np.empty(rows, model.dtype)
    last = outputs[top - 1]  # the seed's w reads H_L alone, not beside a column of ones (an MLP: top ≥ 1)
    w = rng.standard_normal(last.shape[1]).astype(model.dtype)

    def products():
        for span in spans:
            r = span.stop - span.start
            inputs[0] = design[span]
            for l in range(top):  # the hidden layers' forward
                np.matmul(inputs[l][:r], weights[l].T, out=outputs[l][:r])
            if K == 1:  # the seed's w: z = H w and its gradient δᵀ H, vectors; δ w ⊙ g'(A_L) is elementwise
                np.matmul(last[:r], w, out=z[:r])
                np.matmul(z[:r], last[:r], out=grads[top][0, 1:])
            else:
                np.matmul(inputs[top][:r], weights[top].T, out=outputs[top][:r])
                np.matmul(errors[top][:r].T, inputs[top][:r], out=grads[top])
                if top:
                    np.matmul(errors[top][:r], weights[top], out=below[top][:r])
            for l in range(top - 1, -1, -1):  # the hidden layers' gradients, top layer first
                np.matmul(errors[l][:r].T, inputs[l][:r], out=grads[l])
                if l:
                    np.matmul(errors[l][:r], weights[l], out=below[l][:r])
    return products


def measure(case: Case, lr: float, repeats: int, seed: int = 0) -> dict:
    """Fastest seconds per iteration of both implementations, alternating ``repeats`` times, and of
    the iteration's matrix products alone (:func:`epoch_products`).

    Returns
    -------
    dict
        One row of the results table.
    """
    lr = case.lr or lr
    X, y = _data(case, seed)
    X_ours = X.astype(case.dtype)
    ours, theirs, floor = [], [], []
    for _ in range(repeats):
        model = MLP(case.n_features, activation="relu", init="he", seed=seed, dtype=case.dtype,
                    hidden_widths=case.hidden_widths, n_classes=case.n_classes)
        # scikit-learn always runs in float64 here: the targets are against its default.
        clf = reference_classifier(model, X, y, lr, case.iterations, case.batch_size, optimizer=case.optimizer)
        products = epoch_products(model, case.n_samples, case.batch_size, seed)
        ours.append(_time(lambda: fit(model, X_ours, y, lr, case.iterations, case.batch_size, optimizer=case.optimizer)))
        theirs.append(_time(lambda: fit_quietly(clf, X, y)))
        floor.append(_time(products))
    ours_it = min(ours) / case.iterations
    theirs_it = min(theirs) / case.iterations
    ratio = theirs_it / ours_it
    widths = ",".join(map(str, case.hidden_widths))
    return {
        "case": case.name,
        "shape": f"{case.n_samples}x{case.n_features}, H=({widths}), K={case.n_classes}",
        "optimizer": case.optimizer + ("" if case.batch_size is None else f", batches of {case.batch_size}"),
        "iterations": case.iterations,
        "dtype": case.dtype,
        "sklearn_us_per_iter": round(theirs_it * 1e6, 1),
        "ours_us_per_iter": round(ours_it * 1e6, 1),
        "speedup": round(ratio, 2),
        "target": case.target,
        "met": ratio >= case.target,
        "products_us_per_iter": round(min(floor) * 1e6, 1),  # one epoch's products, timed once per repeat
        "ours_over_products": round(ours_it / min(floor), 2),
        "speedup_bound": round(theirs_it / min(floor), 2),  # scikit-learn over our products alone: no target above it can be met
        "max_weight_gap": f"{_weight_gap(model, clf):.1e}",
    }


def matmul_floor(n_samples: int, n_features: int, hidden_width: int, iterations: int, repeats: int,
                 lr: float, max_ratio: float, seed: int = 0) -> dict:
    """Ours per full-batch iteration over the same iteration's matrix products alone.

    The products of one iteration of the seed's network (:func:`epoch_products`) are the hidden
    layer's forward ``[1, X] [b1 | W1]ᵀ`` (N×(1+D) by (1+D)×H), the output's ``H1 w`` and ``δᵀ H1``
    (N×H by H), and the hidden gradient ``g'(A1)ᵀ (δ ⊙ [1, X])`` (H×N by N×(1+D)), timed at the
    batch's full shape. The ratio (the target) says how much of an iteration is not BLAS:
    elementwise passes over N×H memory and Python overhead. The core works through the batch in
    blocks of ``backprop.block_rows`` rows, so the same products taken block by block are timed
    too: the floor of what the core itself does.
    """
    case = Case("floor", n_samples, n_features, (hidden_width,), iterations)
    X, y = _data(case, seed)
    shapes = MLP(n_features, hidden_width)
    rows = backprop.block_rows(shapes)
    full_shape = epoch_products(shapes, n_samples, None, seed, rows=n_samples)
    in_blocks = epoch_products(shapes, n_samples, None, seed)
    ours, floor, blocked = [], [], []
    for _ in range(repeats):
        model = MLP(n_features, hidden_width, "relu", init="he", seed=seed)
        ours.append(_time(lambda: fit(model, X, y, lr, iterations)) / iterations)
        floor.append(_time(full_shape))
        blocked.append(_time(in_blocks))
    ours_it, floor_it, blocked_it = (min(t) for t in (ours, floor, blocked))
    ratio = ours_it / floor_it
    return {
        "case": "limit",
        "shape": f"{n_samples}x{n_features}, H=({hidden_width}), K=2",
        "optimizer": "gd",
        "iterations": iterations,
        "dtype": "float64",
        "sklearn_us_per_iter": float("nan"),
        "ours_us_per_iter": round(ours_it * 1e6, 1),
        "speedup": float("nan"),
        "target": max_ratio,
        "met": ratio <= max_ratio,
        "max_weight_gap": (f"products alone {floor_it * 1e6:.1f} us, ours / products = {ratio:.2f}; "
                           f"in blocks of {rows} rows {blocked_it * 1e6:.1f} us, ours / those = {ours_it / blocked_it:.2f}"),
    }


def run(cases: list[Case], lr: float, repeats: int, floor: dict | None = None,
        blas_threads: int | None = None) -> pd.DataFrame:
    """Measure every case, and the matrix-product floor if ``floor`` gives its settings; one row each.

    ``blas_threads`` caps the BLAS threads of both sides alike (None: the library's default).
    """
    with threadpool_limits(blas_threads, user_api="blas"):
        rows = [measure(case, lr, repeats) for case in cases]
        if floor is not None:
            rows.append(matmul_floor(**floor, repeats=repeats, lr=lr))
    return pd.DataFrame(rows)
