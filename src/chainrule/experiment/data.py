"""Datasets: load (scikit-learn generators, bundled data, or a CSV through pandas), split, scale.

The target is kept apart from the features from the moment a table is loaded: it is never a
column among them, whatever the columns are called, so it cannot leak into what a model sees.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine, make_blobs, make_circles, make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from chainrule.errors import ConfigError
from chainrule.experiment import csv_reader
from chainrule.model import features as crosses

@dataclass
class Table:
    """Features and class labels as loaded, before any split.

    Attributes
    ----------
    frame : DataFrame of shape (n_samples, n_features + 1)
        The feature columns (float64, named as in the source), then the labels as 0..K−1 in a
        column named ``target``. ``target`` is never one of ``features``.
    features : list of str
    source : str
        Where the data came from (generator call, bundled name or file path).
    label_names : dict
        Original label value (as text) of each class 0..K−1.
    target : str
        Name of the label column: the CSV's target column, ``label`` for built-in data.
    """

    frame: pd.DataFrame
    features: list[str]
    source: str
    label_names: dict[int, str] = field(default_factory=lambda: {0: "0", 1: "1"})
    target: str = "label"

    @property
    def n_classes(self) -> int:
        return len(self.label_names)

    @property
    def X(self) -> np.ndarray:
        return self.frame[self.features].to_numpy(dtype=np.float64)

    @property
    def y(self) -> np.ndarray:
        return self.frame[self.target].to_numpy(dtype=np.int64)


@dataclass
class Splits:
    """Stratified train/validation/test splits; features scaled with statistics of the training split.

    ``raw`` keeps the unscaled frames, features and target (what a user feeds the logged model).
    ``derived`` names the model's inputs when they are computed from the features (TensorFlow
    Playground's x₁², x₁x₂, sin x₁, …; :mod:`chainrule.model.features`), None when they are the features.
    """

    X: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    raw: dict[str, pd.DataFrame]
    scaler: StandardScaler | None
    table: Table
    derived: list[str] | None = None

    @property
    def inputs(self) -> list[str]:
        """Names of the model's input columns."""
        return self.derived or self.table.features

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


def _spiral(n_samples: int, noise: float, n_classes: int, seed: int):
    """TensorFlow Playground's spiral with ``n_classes`` arms: arm k is the points 5r (sin t, cos t)
    with r uniform in [0, 1) and t = 1.75 · 2π r + 2πk/K (Playground spaces r evenly; drawing it
    keeps every split a sample of the whole arm), plus Gaussian noise of std ``noise``."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    r = rng.uniform(0.0, 1.0, n_samples)
    t = 1.75 * 2 * np.pi * r + 2 * np.pi * y / n_classes
    X = 5 * r[:, None] * np.column_stack([np.sin(t), np.cos(t)])
    return X + noise * rng.standard_normal(X.shape), y


BUNDLED = {"breast_cancer": load_breast_cancer, "iris": load_iris, "wine": load_wine, "digits": load_digits}
"""The tables scikit-learn ships (no download): dataset name → loader."""


def _from_arrays(X, y, features, source, label_names=None) -> Table:
    frame = pd.DataFrame(X, columns=features)
    frame["label"] = np.asarray(y, dtype=np.int64)
    names = label_names or {int(k): str(k) for k in np.unique(y)}
    return Table(frame, list(features), source, names)


def _read_csv(path: str, target: str, features, sep: str = ",", max_classes: int = 50) -> Table:
    """The :class:`Table` of a CSV file (see :func:`chainrule.experiment.csv_reader.read`)."""
    frame, features, source, label_names = csv_reader.read(path, target, features, sep, max_classes)
    return Table(frame, features, source, label_names, target)


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
    elif name in ("blobs", "spiral"):
        K = dataset.n_classes
        if name == "blobs":
            X, y = make_blobs(n_samples=dataset.n_samples, centers=K, cluster_std=dataset.noise,
                              center_box=(-5.0, 5.0), random_state=seed)
        else:
            X, y = _spiral(dataset.n_samples, dataset.noise, K, seed)
        source = f"{name}(n_samples={dataset.n_samples}, noise={dataset.noise}, n_classes={K}, seed={seed})"
        return _from_arrays(X, y, ["x1", "x2"], source)
    elif name in BUNDLED:
        bunch = BUNDLED[name]()
        features = [str(f) for f in bunch.feature_names]
        names = {i: str(n) for i, n in enumerate(bunch.target_names)}
        return _from_arrays(bunch.data, bunch.target, features, f"sklearn.datasets.load_{name}", names)
    elif name == "csv":
        return _read_csv(dataset.path, dataset.target, dataset.features, dataset.sep, dataset.max_classes)
    else:
        raise ConfigError(f"dataset.name: unknown dataset {name!r}")
    source = f"{name}(n_samples={dataset.n_samples}, noise={dataset.noise}, seed={seed})"
    return _from_arrays(X, y, ["x1", "x2"], source)


def splits_for(cfg) -> Splits:
    """The splits a run config describes (``dataset``, ``seed`` and the ``train`` split settings)."""
    derived = cfg.dataset.features if cfg.dataset.name != "csv" and "features" in cfg.dataset else None
    table = load(cfg.dataset, cfg.seed)
    splits = split(table, cfg.train.test_size, cfg.train.val_size, cfg.train.scale, cfg.seed,
                   None if derived is None else list(derived))
    _check_representable(splits, np.dtype(cfg.train.dtype))
    return splits


PARTS = ("train", "val", "test")


def _class_counts(table: Table, y: np.ndarray) -> str:
    counts = np.bincount(y, minlength=len(table.label_names))
    return ", ".join(f"{table.label_names[label]!r}: {count}" for label, count in enumerate(counts))


def split(table: Table, test_size: float, val_size: float, scale: bool, seed: int,
          derived: list[str] | None = None) -> Splits:
    """Stratified train/val/test split (sizes are fractions of the whole); the ``derived`` input
    features (of 2-D data) and the scaler fit on train only.

    Raises
    ------
    ConfigError
        If some part would lack a class (a score such as ROC AUC is then undefined, and the
        accuracy of a part holding one class says nothing), with the class counts per part; or
        if a feature is too large to standardise.
    """
    X, y = table.X, table.y
    index = np.arange(len(y))
    sizes = f"train.test_size={test_size}, train.val_size={val_size}"
    rarest = int(np.bincount(y).min())
    if rarest < len(PARTS):
        raise ConfigError(
            f"dataset: {len(y)} rows cannot be split into train/val/test with every class in each part (class "
            f"counts {_class_counts(table, y)}): the rarest class has {rarest} row(s) and needs at least {len(PARTS)}, "
            "one per part; add rows of that class"
        )
    try:
        rest, test = train_test_split(index, test_size=test_size, stratify=y, random_state=seed)
        train, val = train_test_split(
            rest, test_size=val_size / (1 - test_size), stratify=y[rest], random_state=seed
        )
    except ValueError as error:
        raise ConfigError(
            f"dataset: {len(y)} rows cannot be split into train/val/test with {sizes} "
            f"and every class in each part ({error})"
        ) from None
    parts = dict(zip(PARTS, (train, val, test)))
    lacking = [part for part, i in parts.items() if len(np.unique(y[i])) < len(table.label_names)]
    if lacking:
        counts = "; ".join(f"{part}: {_class_counts(table, y[i])}" for part, i in parts.items())
        raise ConfigError(
            f"dataset: the stratified split of {len(y)} rows with {sizes} leaves a class out of "
            f"{' and '.join(lacking)} (class counts per part — {counts}); every part needs every class: raise "
            "train.test_size and train.val_size so that each part gets a row of the rarest class, or add rows of it"
        )
    names = table.features
    if derived is not None:
        transformer = FunctionTransformer(crosses.derive, kw_args={"names": derived}).fit(X[train])
        X, names = transformer.transform(X), derived
    scaler = _fit_scaler(names, table.source, X, train) if scale else None
    return Splits(
        X={k: scaler.transform(X[i]) if scaler else X[i] for k, i in parts.items()},
        y={k: y[i] for k, i in parts.items()},
        raw={k: table.frame.iloc[i].reset_index(drop=True) for k, i in parts.items()},
        scaler=scaler,
        table=table,
        derived=derived,
    )


def _fit_scaler(names: list[str], source: str, X: np.ndarray, train: np.ndarray) -> StandardScaler:
    """A StandardScaler fit on the ``train`` rows of ``X``, or a ConfigError naming the columns it cannot scale.

    A column whose values reach about 1e154 overflows the variance in float64; StandardScaler
    then silently leaves it unscaled (scale 1), so it is refused instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow, reported below by column
        scaler = StandardScaler().fit(X[train])
    bad = ~np.isfinite(scaler.var_)
    if bad.any():
        overflow = [name for name, b in zip(names, bad) if b]
        largest = float(np.abs(X[:, bad]).max())  # the column's, as the user knows it: every row
        raise ConfigError(
            f"dataset: column(s) {overflow} of {source} hold values up to {largest:.4g} in magnitude, too large to "
            "standardise in float64 (the variance overflows): rescale them first (divide by a power of ten, or take a log)"
        )
    return scaler


def _check_representable(splits: Splits, dtype: np.dtype) -> None:
    """Refuse features that the training dtype cannot hold (float32 overflows past ±3.4e38)."""
    limit = np.finfo(dtype).max
    for part, X in splits.X.items():
        too_large = np.abs(X).max(axis=0) > limit
        if too_large.any():
            names = [name for name, bad in zip(splits.inputs, too_large) if bad]
            raise ConfigError(
                f"dataset: column(s) {names} hold values beyond {dtype.name}'s range (±{limit:.3g}) in the {part} split: "
                "use train.dtype=float64, or train.scale=true"
            )
