"""Input checks shared by the core. Every message says what was received and what is expected."""

from __future__ import annotations

import math
import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def lookup(table: dict, kind: str, name):
    """``table[name]``, or a ValueError naming ``kind`` and listing the valid names."""
    try:
        return table[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(table))
        raise ValueError(f"unknown {kind} {name!r}; valid {kind}s: {valid}") from None


def check_int(name: str, value, minimum: int) -> int:
    """Return ``value`` as an int, or raise if it is not an integer ≥ ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def check_float(name: str, value, *, positive: bool) -> float:
    """Return ``value`` as a float, or raise if it is not finite and > 0 (``positive``) or ≥ 0."""
    bound = "> 0" if positive else ">= 0"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be a finite number {bound}; got {value}")
    return value


def check_dtype(dtype) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype if it is float32 or float64."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be float32 or float64; got {dtype!r}")
    return dt


def check_X(X, dtype: np.dtype, n_features: int | None = None, name: str = "X") -> np.ndarray:
    """Return ``X`` as a finite 2-D array of ``dtype`` with ``n_features`` columns.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    dtype : np.dtype
        The model's dtype; ``X`` is converted once here, never inside a loop.
    n_features : int, optional
        Required number of columns.
    name : str
        How the array is called in messages.
    """
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if arr.ndim != 2:
        hint = " (use X.reshape(-1, 1) for a single feature)" if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must have at least one sample; got shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features but the model expects n_features={n_features}"
        )
    arr = arr.astype(dtype, copy=False)
    if not np.isfinite(arr).all():
        row, col = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} contains NaN or infinity (first at row {row}, column {col})")
    return arr


def _one_label_per_sample(y, n_samples: int, name: str, x_name: str, expected: str) -> np.ndarray:
    """``y`` as a 1-D numeric array of length ``n_samples``; messages name ``expected`` values."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a numeric array of {expected}; got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,); got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{x_name} has {n_samples} samples but {name} has {arr.shape[0]}; lengths must match")
    return arr


def check_y(y, n_samples: int, dtype: np.dtype, name: str = "y", x_name: str = "X") -> np.ndarray:
    """Return labels as a 1-D array of ``dtype`` holding only 0 and 1, of length ``n_samples``."""
    arr = _one_label_per_sample(y, n_samples, name, x_name, "0 and 1")
    is_binary = (arr == 0) | (arr == 1)
    if not is_binary.all():
        bad = np.unique(arr[~is_binary])[:5].tolist()
        raise ValueError(f"{name} must contain only 0 and 1; got values such as {bad}")
    return arr.astype(dtype, copy=False)


def check_labels(y, n_samples: int, n_classes: int, name: str = "y", x_name: str = "X",
                 every_class: bool = False) -> np.ndarray:
    """Return class labels as a 1-D int64 array of values in 0..n_classes−1.

    Parameters
    ----------
    every_class : bool
        Also require each of the ``n_classes`` labels to occur (a gap such as {0, 2} means the
        labels were not numbered 0..K−1, or ``n_classes`` is wrong).
    """
    if n_classes == 2:
        return check_y(y, n_samples, np.dtype(np.float64), name, x_name).astype(np.int64)
    arr = _one_label_per_sample(y, n_samples, name, x_name, f"labels 0..{n_classes - 1}")
    valid = np.isin(arr, np.arange(n_classes))
    if not valid.all():
        bad = np.unique(arr[~valid])[:5].tolist()
        raise ValueError(f"{name} must hold the labels 0..{n_classes - 1} (n_classes={n_classes}); got values such as {bad}")
    labels = arr.astype(np.int64)
    if every_class:
        missing = sorted(set(range(n_classes)) - set(np.unique(labels).tolist()))
        if missing:
            raise ValueError(
                f"{name} has no example of class {', '.join(map(str, missing))} of 0..{n_classes - 1}: number "
                f"the labels 0..K−1 without gaps (got {sorted(np.unique(labels).tolist())}), or set n_classes"
            )
    return labels
