"""Save and load a trained core model, with its feature names and scaler, as a plain ``.npz``.

Only arrays of numbers and strings go in, and loading uses ``allow_pickle=False``, so opening
a model file can never execute code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainrule.core import MLP, LogisticRegression
from chainrule.model.features import derive


@dataclass
class Predictor:
    """A core model plus what turns raw feature columns into its inputs."""

    model: MLP | LogisticRegression
    features: list[str]
    mean: np.ndarray | None
    scale: np.ndarray | None
    label_names: list[str] | None = None  # the original label of each class code, when known
    derived: list[str] | None = None  # the model's inputs computed from the features (features.CROSSES)
    target: str | None = None  # the name of the label column it was trained on, when known

    @classmethod
    def from_parts(cls, model, features, scaler=None, label_names=None, derived=None, target=None) -> "Predictor":
        """The predictor of a trained ``model`` whose inputs — the features, or the ``derived``
        features of them — were standardised by ``scaler``."""
        names = None if label_names is None else [label_names[k] for k in range(len(label_names))]
        derived = None if derived is None else list(derived)
        if scaler is None:
            return cls(model, list(features), None, None, names, derived, target)
        return cls(model, list(features), scaler.mean_, scaler.scale_, names, derived, target)

    @property
    def labels(self) -> np.ndarray:
        """The original label of each class code, (n_classes,): integers where every label is a
        whole number as text (``"0"``, ``"1"``: the labels of the built-in data), else strings."""
        names = self.label_names or [str(k) for k in range(self.model.n_classes)]
        if all(name.lstrip("-").isdigit() for name in names):
            return np.array([int(name) for name in names], dtype=np.int64)
        return np.array(names, dtype=object)

    def codes(self, values) -> np.ndarray:
        """The class code (0..K−1) of each original label in ``values`` (n_samples,), as the
        training data's labels were encoded: by their text.

        Raises
        ------
        ValueError
            Naming the row of a blank or of a label the model does not know, and the labels it knows.
        """
        names = np.array(self.label_names or [str(k) for k in range(self.model.n_classes)])
        values = np.asarray(values)
        text = values.astype(str)
        if values.dtype.kind == "f":  # 1.0, as pandas reads whole numbers in a column with a blank: the label 1
            whole = np.isfinite(values) & (values == np.round(values))
            text[whole] = values[whole].astype(np.int64).astype(str)
        order = np.argsort(names)
        at = np.minimum(np.searchsorted(names[order], text), len(names) - 1)
        unknown = names[order][at] != text
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            value = values[row].item() if isinstance(values[row], np.generic) else values[row]
            what = "is blank" if value is None or value != value else f"holds {value!r}"
            raise ValueError(f"row {row} {what}, not one of the model's labels {names.tolist()}")
        return order[at]

    def inputs(self, columns) -> np.ndarray:
        """The feature matrix of a table of raw columns (a DataFrame or a mapping of name → values).

        Integers and floats are taken alike, whatever dtype the table gives each column (``pandas.read_csv``
        reads a column of whole numbers as int64); other columns are ignored.

        Returns
        -------
        ndarray of shape (n_samples, n_features), float64

        Raises
        ------
        ValueError
            Naming the feature and the row: a missing column, a value that is not a number, a blank or NaN.
        """
        missing = [name for name in self.features if name not in columns]
        if missing:
            raise ValueError(f"missing feature column(s) {missing}; the model takes {self.features}")
        X = np.empty((len(columns[self.features[0]]), len(self.features)))
        for j, name in enumerate(self.features):
            values = np.asarray(columns[name])
            if values.dtype.kind not in "biuf":
                try:
                    values = np.asarray(values, dtype=np.float64)
                except (TypeError, ValueError):
                    row = next(i for i, v in enumerate(values) if not _is_number(v))
                    raise ValueError(f"feature {name!r}: row {row} holds {values[row]!r}, not a number") from None
            X[:, j] = values
            bad = ~np.isfinite(X[:, j])
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                what = "is blank (NaN)" if np.isnan(X[row, j]) else f"holds {X[row, j]}"
                raise ValueError(f"feature {name!r}: row {row} {what}; every feature needs a finite number")
        return X

    def model_inputs(self, X: np.ndarray) -> np.ndarray:
        """What the core model takes for raw features (n_samples, n_features): their derived
        features when there are any, standardised as the training split was."""
        X = np.asarray(X, dtype=np.float64)
        if self.derived is not None:
            X = derive(X, self.derived)
        if self.mean is not None:
            # the same two operations as StandardScaler.transform, so results are bit-identical
            X = X - self.mean
            X /= self.scale
        return X

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability of label 1 (n_samples,), or of each class (n_samples, K), for raw (unscaled)
        features of shape (n_samples, n_features)."""
        return self.model.predict_proba(self.model_inputs(X))

    def outputs(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """What the logged model returns, column by column, for raw features.

        Two classes: ``probability`` (of class 1, the second label in sort order) and ``label``,
        the original label (class 1 at ŷ ≥ 0.5). K classes: ``probability_<label>`` for each
        original label, and ``label``, the original label of the core's prediction (its most
        probable class). Labels are integers where the training labels were whole numbers
        (:attr:`labels`).
        """
        inputs = self.model_inputs(X)  # crossed and scaled once, for both outputs
        proba = self.model.predict_proba(inputs)
        if proba.ndim == 1:
            return {"probability": proba, "label": self.labels[(proba >= 0.5).astype(np.intp)]}
        names = self.label_names or [str(k) for k in range(proba.shape[1])]
        columns = {f"probability_{name}": proba[:, k] for k, name in enumerate(names)}
        columns["label"] = self.labels[self.model.predict(inputs)]
        return columns


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def save(path, model, features, scaler=None, label_names=None, derived=None, target=None) -> None:
    """Write ``model``'s parameters and hyperparameters, ``features``, ``scaler``, the original
    ``label_names`` (code → label), the ``derived`` input features and the ``target`` column's
    name to ``path``."""
    meta = {"kind": "mlp" if isinstance(model, MLP) else "logistic", "dtype": model.dtype.name,
            "n_classes": str(model.n_classes)}
    if isinstance(model, MLP):
        activation = model.activation if isinstance(model.activation, str) else ",".join(model.activation)
        meta |= {"activation": activation, "hidden_widths": ",".join(map(str, model.hidden_widths))}
    arrays = {f"param_{name}": np.asarray(p) for name, p in model.params.items()}
    arrays |= {f"meta_{k}": np.array(v) for k, v in meta.items()}
    arrays["features"] = np.array(features, dtype=str)
    if label_names is not None:
        arrays["label_names"] = np.array([label_names[k] for k in range(len(label_names))], dtype=str)
    if derived is not None:
        arrays["derived"] = np.array(derived, dtype=str)
    if target is not None:
        arrays["target"] = np.array(target, dtype=str)
    if scaler is not None:
        arrays["scaler_mean"], arrays["scaler_scale"] = scaler.mean_, scaler.scale_
    np.savez(path, **arrays)


def load(path) -> Predictor:
    """Rebuild the :class:`Predictor` that :func:`save` wrote (no pickle involved)."""
    with np.load(path, allow_pickle=False) as f:
        meta = {k[5:]: str(f[k]) for k in f.files if k.startswith("meta_")}
        features = [str(name) for name in f["features"]]
        derived = [str(name) for name in f["derived"]] if "derived" in f.files else None
        K = int(meta.get("n_classes", 2))
        if meta["kind"] == "mlp":
            widths = [int(w) for w in meta["hidden_widths"].split(",")]
            activation = meta["activation"] if "," not in meta["activation"] else meta["activation"].split(",")
            model = MLP(len(derived or features), activation=activation, dtype=meta["dtype"], hidden_widths=widths,
                        n_classes=K)
        else:
            model = LogisticRegression(len(derived or features), dtype=meta["dtype"], n_classes=K)
        label_names = [str(name) for name in f["label_names"]] if "label_names" in f.files else None
        for name, p in model.params.items():
            p[...] = f[f"param_{name}"]
        mean = f["scaler_mean"] if "scaler_mean" in f.files else None
        scale = f["scaler_scale"] if "scaler_scale" in f.files else None
        target = str(f["target"]) if "target" in f.files else None
    return Predictor(model, features, mean, scale, label_names, derived, target)
