"""Datasets: load (scikit-learn generators, bundled data, or a CSV through pandas), split, scale.

The target is kept apart from the features from the moment a table is loaded: it is never a
column among them, whatever the columns are called, so it cannot leak into what a model sees.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, make_circles, make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from chainrule.config import ConfigError

COMPRESSED = {b"\x1f\x8b": "gzip", b"PK\x03\x04": "zip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"(\xb5/\xfd": "zstd"}
"""First bytes of compressed files → their format: such a file named ``.csv`` is not text."""

DELIMITERS = (";", "\t", "|", ":")
"""Other delimiters a CSV may use, recognised in a header that reads as a single column."""


@dataclass
class Table:
    """Features and binary labels as loaded, before any split.

    Attributes
    ----------
    frame : DataFrame of shape (n_samples, n_features + 1)
        The feature columns (float64, named as in the source), then the labels as 0/1 in a
        column named ``target``. ``target`` is never one of ``features``.
    features : list of str
    source : str
        Where the data came from (generator call, bundled name or file path).
    label_names : dict
        Original label value (as text) for 0 and for 1.
    target : str
        Name of the label column: the CSV's target column, ``label`` for built-in data.
    """

    frame: pd.DataFrame
    features: list[str]
    source: str
    label_names: dict[int, str] = field(default_factory=lambda: {0: "0", 1: "1"})
    target: str = "label"

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


def _did_you_mean(name: str, columns) -> str:
    """`` (did you mean 'X'?)`` for the column ``name`` was probably meant as, else ''."""
    columns = [str(c) for c in columns]
    same_but_case = [c for c in columns if c.lower() == str(name).lower()]
    close = same_but_case or difflib.get_close_matches(str(name), columns, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _no_such_column(key: str, name: str, file: Path, columns) -> ConfigError:
    message = f"{key}: column {name!r} not in {str(file)!r}{_did_you_mean(name, columns)}; columns: {list(columns)}"
    if len(columns) == 1:
        header = str(columns[0])
        found = [d for d in DELIMITERS if d in header]
        if found:
            shown = repr(found[0]).replace("\\t", "\\\\t") if found[0] == "\t" else repr(found[0])
            message += (f" — the header reads as one column: the file looks {found[0]!r}-separated; "
                        f"read it with dataset.sep={shown}")
    return ConfigError(message)


def _compression(file: Path) -> str | None:
    """The compression format ``file`` is written in, from its first bytes, or None."""
    with open(file, "rb") as f:
        head = f.read(6)
    return next((kind for magic, kind in COMPRESSED.items() if head.startswith(magic)), None)


def _feature_list(file: Path, columns, target: str, features) -> list[str]:
    """The feature columns: ``features`` as given (checked), or every column but the target."""
    if features is None:
        chosen = [c for c in columns if c != target]
        if not chosen:
            raise ConfigError(f"dataset: {str(file)!r} holds only the target column {target!r}: nothing to learn from")
        return chosen
    chosen = [str(c) for c in features]
    if not chosen:
        raise ConfigError(f"dataset.features: an empty list; name at least one column of {str(file)!r}, "
                          "or null for every column but the target")
    if target in chosen:
        raise ConfigError(f"dataset.features: lists the target {target!r}; a model must not see what it predicts — "
                          "remove it from dataset.features (or set dataset.features=null: every column but the target)")
    twice = sorted({c for c in chosen if chosen.count(c) > 1})
    if twice:
        raise ConfigError(f"dataset.features: lists {', '.join(map(repr, twice))} more than once; name each column once")
    for column in chosen:
        if column not in columns:
            raise _no_such_column("dataset.features", column, file, columns)
    return chosen


def _read_csv(path: str, target: str, features, sep: str = ",") -> Table:
    file = Path(path).expanduser()
    if not file.exists():
        raise ConfigError(f"dataset.path: no such file {str(file)!r}")
    if not file.is_file():
        raise ConfigError(f"dataset.path: {str(file)!r} is not a file")
    try:
        compressed = _compression(file)
    except OSError as error:
        raise ConfigError(f"dataset.path: cannot read {str(file)!r}: {error.strerror or error}") from None
    if compressed and file.suffix.lower() == ".csv":
        raise ConfigError(
            f"dataset.path: {str(file)!r} is {compressed}-compressed, not text: decompress it, or name it so that "
            f"its extension says so (pandas then reads it: .gz, .zip, .bz2, .xz, .zst)"
        )
    try:
        frame = pd.read_csv(file, sep="\t" if sep == "\\t" else sep)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        # EmptyDataError is a ValueError; OSError covers permissions and unreadable media
        raise ConfigError(f"dataset.path: cannot read {str(file)!r} as CSV: {error}") from None
    frame.columns = [str(c) for c in frame.columns]
    if target not in frame.columns:
        raise _no_such_column("dataset.target", target, file, frame.columns)
    features = _feature_list(file, list(frame.columns), target, features)
    blank = frame[target].isna().to_numpy()
    if blank.any():
        row = int(np.flatnonzero(blank)[0])
        raise ConfigError(
            f"dataset.target: column {target!r} of {str(file)!r} has {int(blank.sum())} blank(s), first at row {row} "
            f"(line {row + 2} of the file); every row needs a label"
        )
    labels = frame[target].unique()
    if len(labels) != 2:
        shown = sorted(map(str, labels))[:10]
        raise ConfigError(
            f"dataset.target: column {target!r} must hold exactly two distinct values and no blanks; "
            f"got {len(labels)} value(s) {shown}"
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
    out[target] = (frame[target] == high).astype(np.int64)  # a column of its own: never among the features
    return Table(out, features, str(file.resolve()), {0: str(low), 1: str(high)}, target)


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
        return _read_csv(dataset.path, dataset.target, dataset.features, dataset.sep)
    else:
        raise ConfigError(f"dataset.name: unknown dataset {name!r}")
    source = f"{name}(n_samples={dataset.n_samples}, noise={dataset.noise}, seed={seed})"
    return _from_arrays(X, y, ["x1", "x2"], source)


def splits_for(cfg) -> Splits:
    """The splits a run config describes (``dataset``, ``seed`` and the ``train`` split settings)."""
    splits = split(load(cfg.dataset, cfg.seed), cfg.train.test_size, cfg.train.val_size, cfg.train.scale, cfg.seed)
    _check_representable(splits, np.dtype(cfg.train.dtype))
    return splits


PARTS = ("train", "val", "test")


def _class_counts(table: Table, y: np.ndarray) -> str:
    counts = np.bincount(y, minlength=len(table.label_names))
    return ", ".join(f"{table.label_names[label]!r}: {count}" for label, count in enumerate(counts))


def split(table: Table, test_size: float, val_size: float, scale: bool, seed: int) -> Splits:
    """Stratified train/val/test split (sizes are fractions of the whole); scaler fit on train only.

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
            f"and both classes in each part ({error})"
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
    scaler = _fit_scaler(table, X[train]) if scale else None
    return Splits(
        X={k: scaler.transform(X[i]) if scaler else X[i] for k, i in parts.items()},
        y={k: y[i] for k, i in parts.items()},
        raw={k: table.frame.iloc[i].reset_index(drop=True) for k, i in parts.items()},
        scaler=scaler,
        table=table,
    )


def _fit_scaler(table: Table, X_train: np.ndarray) -> StandardScaler:
    """A StandardScaler fit on the training rows, or a ConfigError naming the columns it cannot scale.

    A column whose values reach about 1e154 overflows the variance in float64; StandardScaler
    then silently leaves it unscaled (scale 1), so it is refused instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow, reported below by column
        scaler = StandardScaler().fit(X_train)
    overflow = [name for name, var in zip(table.features, scaler.var_) if not np.isfinite(var)]
    if overflow:
        largest = float(table.frame[overflow].abs().max().max())
        raise ConfigError(
            f"dataset: column(s) {overflow} of {table.source} hold values up to {largest:.4g} in magnitude, too large to "
            "standardise in float64 (the variance overflows): rescale them first (divide by a power of ten, or take a log)"
        )
    return scaler


def _check_representable(splits: Splits, dtype: np.dtype) -> None:
    """Refuse features that the training dtype cannot hold (float32 overflows past ±3.4e38)."""
    limit = np.finfo(dtype).max
    for part, X in splits.X.items():
        too_large = np.abs(X).max(axis=0) > limit
        if too_large.any():
            names = [name for name, bad in zip(splits.table.features, too_large) if bad]
            raise ConfigError(
                f"dataset: column(s) {names} hold values beyond {dtype.name}'s range (±{limit:.3g}) in the {part} split: "
                "use train.dtype=float64, or train.scale=true"
            )
