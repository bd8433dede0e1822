"""Datasets: load (scikit-learn generators, bundled data, or a CSV through pandas), split, scale."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, make_circles, make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from chainrule.config import ConfigError


@dataclass
class Table:
    """Features and binary labels as loaded, before any split.

    Attributes
    ----------
    frame : DataFrame of shape (n_samples, n_features + 1)
        Feature columns then the label column (named ``label``), as 0/1.
    features : list of str
    source : str
        Where the data came from (generator call, bundled name or file path).
    label_names : dict
        Original label value (as text) for 0 and for 1.
    """

    frame: pd.DataFrame
    features: list[str]
    source: str
    label_names: dict[int, str] = field(default_factory=lambda: {0: "0", 1: "1"})

    @property
    def X(self) -> np.ndarray:
        return self.frame[self.features].to_numpy(dtype=np.float64)

    @property
    def y(self) -> np.ndarray:
        return self.frame["label"].to_numpy(dtype=np.int64)


@dataclass
class Splits:
    """Stratified train/validation/test splits; features scaled with statistics of the training split.

    ``raw`` keeps the unscaled frames (what a user feeds the logged model).
    """

    X: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    raw: dict[str, pd.DataFrame]
    scaler: StandardScaler | None
    table: Table

    def points(self, parts=("train", "test")) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Raw features and labels of some splits, as the figures draw them: split → (X, y)."""
        features = self.table.features
        return {part: (self.raw[part][features].to_numpy(), self.y[part]) for part in parts}


def _xor(n_samples: int, noise: float, seed: int):
    """Points in [-1, 1]² labelled by the sign of x₁·x₂, with Gaussian jitter of std ``noise``."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X + noise * rng.standard_normal(X.shape), y


def _from_arrays(X, y, features, source) -> Table:
    frame = pd.DataFrame(X, columns=features)
    frame["label"] = np.asarray(y, dtype=np.int64)
    return Table(frame, list(features), source)


def _read_csv(path: str, target: str, features) -> Table:
    file = Path(path).expanduser()
    if not file.exists():
        raise ConfigError(f"dataset.path: no such file {str(file)!r}")
    if not file.is_file():
        raise ConfigError(f"dataset.path: {str(file)!r} is not a file")
    try:
        frame = pd.read_csv(file)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        # EmptyDataError is a ValueError; OSError covers permissions and unreadable media
        raise ConfigError(f"dataset.path: cannot read {str(file)!r} as CSV: {error}") from None
    if target not in frame.columns:
        raise ConfigError(f"dataset.target: column {target!r} not in {str(file)!r}; columns: {list(frame.columns)}")
    features = [c for c in frame.columns if c != target] if features is None else list(features)
    unknown = [c for c in features if c not in frame.columns]
    if unknown:
        raise ConfigError(f"dataset.features: no column(s) {unknown} in {str(file)!r}; columns: {list(frame.columns)}")
    labels = frame[target].dropna().unique()
    if len(labels) != 2 or frame[target].isna().any():
        shown = sorted(map(str, labels))[:10]
        raise ConfigError(
            f"dataset.target: column {target!r} must hold exactly two distinct values and no blanks; "
            f"got {len(labels)} value(s) {shown}" + (" and blanks" if frame[target].isna().any() else "")
        )
    numeric = frame[features].apply(pd.to_numeric, errors="coerce")
    for column in features:
        bad = numeric[column].isna() | ~np.isfinite(numeric[column].to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            value = frame[column].iloc[row]
            shown = repr(value) if isinstance(value, str) else str(value)
            raise ConfigError(
                f"dataset: column {column!r} of {str(file)!r} must be numeric and finite; "
                f"row {row} (line {row + 2} of the file) holds {shown}"
            )
    low, high = sorted(labels, key=lambda v: (str(type(v)), v))
    out = numeric.astype(np.float64)
    out["label"] = (frame[target] == high).astype(np.int64)
    return Table(out, features, str(file.resolve()), {0: str(low), 1: str(high)})


def load(dataset, seed: int) -> Table:
    """Load the dataset a ``dataset`` config describes.

    Parameters
    ----------
    dataset : DictConfig
        One of the ``conf/dataset`` options.
    seed : int
        Seeds the synthetic generators.
    """
    name = dataset.name
    if name == "moons":
        X, y = make_moons(n_samples=dataset.n_samples, noise=dataset.noise, random_state=seed)
    elif name == "circles":
        X, y = make_circles(n_samples=dataset.n_samples, noise=dataset.noise, factor=0.5, random_state=seed)
    elif name == "xor":
        X, y = _xor(dataset.n_samples, dataset.noise, seed)
    elif name == "breast_cancer":
        bunch = load_breast_cancer()
        table = _from_arrays(bunch.data, bunch.target, list(bunch.feature_names), "sklearn.datasets.load_breast_cancer")
        table.label_names = {i: str(n) for i, n in enumerate(bunch.target_names)}
        return table
    elif name == "csv":
        return _read_csv(dataset.path, dataset.target, dataset.features)
    else:
        raise ConfigError(f"dataset.name: unknown dataset {name!r}")
    source = f"{name}(n_samples={dataset.n_samples}, noise={dataset.noise}, seed={seed})"
    return _from_arrays(X, y, ["x1", "x2"], source)


def splits_for(cfg) -> Splits:
    """The splits a run config describes (``dataset``, ``seed`` and the ``train`` split settings)."""
    return split(load(cfg.dataset, cfg.seed), cfg.train.test_size, cfg.train.val_size, cfg.train.scale, cfg.seed)


def split(table: Table, test_size: float, val_size: float, scale: bool, seed: int) -> Splits:
    """Stratified train/val/test split (sizes are fractions of the whole); scaler fit on train only."""
    X, y = table.X, table.y
    index = np.arange(len(y))
    try:
        rest, test = train_test_split(index, test_size=test_size, stratify=y, random_state=seed)
        train, val = train_test_split(
            rest, test_size=val_size / (1 - test_size), stratify=y[rest], random_state=seed
        )
    except ValueError as error:
        raise ConfigError(
            f"dataset: {len(y)} rows cannot be split into train/val/test with test_size={test_size}, "
            f"val_size={val_size} and both classes in each part ({error})"
        ) from None
    parts = {"train": train, "val": val, "test": test}
    scaler = StandardScaler().fit(X[train]) if scale else None
    return Splits(
        X={k: scaler.transform(X[i]) if scaler else X[i] for k, i in parts.items()},
        y={k: y[i] for k, i in parts.items()},
        raw={k: table.frame.iloc[i].reset_index(drop=True) for k, i in parts.items()},
        scaler=scaler,
        table=table,
    )
