"""Training speed of the core's MLP against scikit-learn's ``MLPClassifier`` doing the same arithmetic.

Both start from the same weights and run the same number of full-batch gradient-descent
steps on the same data; their repetitions alternate, so machine noise hits both alike.
The final weights are compared too, to show the two did the same computation.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainrule.core import MLP, fit
from chainrule.benchmarks.sklearn_reference import fit_quietly, full_batch_mlp_classifier


@dataclass(frozen=True)
class Case:
    """One benchmark size. ``target`` is the minimum speed-up over scikit-learn (float64)."""

    name: str
    n_samples: int
    n_features: int
    hidden_width: int
    iterations: int
    dtype: str = "float64"
    target: float = 1.0


def _data(case: Case, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((case.n_samples, case.n_features))
    y = (X[:, 0] * X[:, -1] + 0.3 * rng.standard_normal(case.n_samples) > 0).astype(int)
    return X, y


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(case: Case, lr: float, repeats: int, seed: int = 0) -> dict:
    """Median seconds per iteration of both implementations, alternating ``repeats`` times.

    Returns
    -------
    dict
        One row of the results table.
    """
    X, y = _data(case, seed)
    X_ours = X.astype(case.dtype)
    ours, theirs = [], []
    for _ in range(repeats):
        model = MLP(case.n_features, case.hidden_width, "relu", init="he", seed=seed, dtype=case.dtype)
        # scikit-learn always runs in float64 here: the targets are against its default.
        clf = full_batch_mlp_classifier(model, X, y, lr, case.iterations)
        ours.append(_time(lambda: fit(model, X_ours, y, lr, case.iterations)))
        theirs.append(_time(lambda: fit_quietly(clf, X, y)))
    gap = max(
        float(np.abs(model.params["W1"] - clf.coefs_[0].T).max()),
        float(np.abs(model.params["w"] - clf.coefs_[1][:, 0]).max()),
    )
    ours_it = statistics.median(ours) / case.iterations
    theirs_it = statistics.median(theirs) / case.iterations
    ratio = theirs_it / ours_it
    return {
        "case": case.name,
        "shape": f"{case.n_samples}x{case.n_features}, H={case.hidden_width}",
        "iterations": case.iterations,
        "dtype": case.dtype,
        "sklearn_us_per_iter": round(theirs_it * 1e6, 1),
        "ours_us_per_iter": round(ours_it * 1e6, 1),
        "speedup": round(ratio, 2),
        "target": case.target,
        "met": ratio >= case.target,
        "max_weight_gap": f"{gap:.1e}",
    }


def run(cases: list[Case], lr: float, repeats: int) -> pd.DataFrame:
    """Measure every case; one row each."""
    return pd.DataFrame([measure(case, lr, repeats) for case in cases])
