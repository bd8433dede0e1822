"""The core on a large table: peak memory against the data's size, and throughput in rows/s.

Each case runs in a fresh Python process (this module run as a script), so the peak resident
memory it reports belongs to that case alone, whatever ran before it. The child reads its
resident set once its imports are done (the baseline), creates the data in the case's dtype,
trains on it with mini-batches, and reports its peak resident set (``VmHWM``). The extra
memory, peak − baseline, is what holding the data and training on it cost; the target is that
it stays within a few times the data's own size (``X.nbytes + y.nbytes``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from chainrule.core import MLP, fit

MB = 2**20


@dataclass(frozen=True)
class Case:
    """One training run on generated data; ``epochs`` is ``fit``'s ``iterations``."""

    n_samples: int
    n_features: int
    hidden_width: int
    batch_size: int
    epochs: int
    lr: float
    shuffle: bool
    dtype: str


def make_data(n_samples: int, n_features: int, dtype: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal features and labels from a fixed linear rule, created in ``dtype``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), values 0 and 1, same dtype as ``X``
    """
    rng = np.random.default_rng(seed)
    # Drawn in the target dtype: no float64 temporary twice the size of a float32 X.
    X = rng.standard_normal((n_samples, n_features), dtype=dtype)
    rule = np.linspace(-1.0, 1.0, n_features, dtype=dtype)
    y = (X @ rule > 0).astype(dtype)
    return X, y


def _status_bytes(field: str) -> int:
    """A ``kB`` line of ``/proc/self/status`` (``VmRSS``: resident now, ``VmHWM``: peak) in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def _reset_peak() -> None:
    """Start ``VmHWM`` again from the current resident set (Linux ≥ 4.0).

    Imports can peak above where they settle; without the reset that transient would be
    counted as memory the data cost. Where the kernel refuses, the peak stays since start,
    which can only overstate the extra memory.
    """
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def measure_here(case: Case) -> dict:
    """Create the data and train on it in this process; what the child prints.

    Returns
    -------
    dict
        Bytes of the data, baseline and peak resident memory, training seconds, last loss.
    """
    _reset_peak()
    baseline = _status_bytes("VmRSS")
    X, y = make_data(case.n_samples, case.n_features, case.dtype)
    model = MLP(case.n_features, case.hidden_width, "relu", init="he", seed=0, dtype=case.dtype)
    start = time.perf_counter()
    history = fit(model, X, y, case.lr, case.epochs, case.batch_size, shuffle=case.shuffle, seed=0)
    seconds = time.perf_counter() - start
    return {
        "data_bytes": X.nbytes + y.nbytes,
        "baseline_bytes": baseline,
        "peak_bytes": _status_bytes("VmHWM"),
        "seconds": seconds,
        "loss": float(history[-1]),
    }


def measure(case: Case) -> dict:
    """:func:`measure_here` in a fresh Python process."""
    command = [sys.executable, "-m", __name__, json.dumps(asdict(case))]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the {case.dtype} large-data case failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def _row(case: Case, result: dict, max_ratio: float) -> dict:
    extra = result["peak_bytes"] - result["baseline_bytes"]
    ratio = extra / result["data_bytes"]
    return {
        "dtype": case.dtype,
        "rows x cols": f"{case.n_samples}x{case.n_features}",
        "batch": case.batch_size,
        "epochs": case.epochs,
        "data_MB": round(result["data_bytes"] / MB, 1),
        "baseline_MB": round(result["baseline_bytes"] / MB, 1),
        "peak_MB": round(result["peak_bytes"] / MB, 1),
        "extra_MB": round(extra / MB, 1),
        "extra/data": round(ratio, 2),
        "target": f"<= {max_ratio:g}",
        "met": ratio <= max_ratio,
        "rows_per_s": round(case.n_samples * case.epochs / result["seconds"]),
        "train_s": round(result["seconds"], 2),
        "last_loss": round(result["loss"], 4),
    }


def run(cases: list[Case], max_ratio: float) -> pd.DataFrame:
    """Measure every case, each in its own process; one row each."""
    return pd.DataFrame([_row(case, measure(case), max_ratio) for case in cases])


def throughput_ratio(table: pd.DataFrame) -> float | None:
    """float64 rows/s ÷ float32 rows/s, or None unless the table has one row of each."""
    speed = table.set_index("dtype")["rows_per_s"]
    if not {"float32", "float64"} <= set(speed.index) or len(speed) != len(set(speed.index)):
        return None
    return float(speed["float64"] / speed["float32"])


if __name__ == "__main__":
    print(json.dumps(measure_here(Case(**json.loads(sys.argv[1])))))
