"""A CSV file read with pandas and checked, column by column, before anything trains on it.

Every refusal names the file, the column and the row at fault and says what to do: another
delimiter, a compressed file, a misspelt column (with a "did you mean"), a blank label, a
feature that is not a number. The target is set apart from the features here, whatever the
columns are called.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from chainrule.errors import ConfigError

COMPRESSED = {b"\x1f\x8b": "gzip", b"PK\x03\x04": "zip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"(\xb5/\xfd": "zstd"}
"""First bytes of compressed files → their format: such a file named ``.csv`` is not text."""

DELIMITERS = (";", "\t", "|", ":")
"""Other delimiters a CSV may use, recognised in a header that reads as a single column."""


def _did_you_mean(name: str, columns) -> str:
    """`` (did you mean 'X'?)`` for the column ``name`` was probably meant as, else ''."""
    columns = [str(c) for c in columns]
    same_but_case = [c for c in columns if c.lower() == str(name).lower()]
    close = same_but_case or difflib.get_close_matches(str(name), columns, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def missing_column(key: str, name: str, file: Path, columns) -> ConfigError:
    """The error for a column ``name`` that ``file`` lacks: the columns it has, a "did you mean", and a
    hint when the header reads as one column (another delimiter)."""
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
            raise missing_column("dataset.features", column, file, columns)
    return chosen


def delimiter(sep: str) -> str:
    """The delimiter a config's ``sep`` names: itself, or a tab for ``\\t`` (a tab is hard to type in YAML)."""
    return "\t" if sep == "\\t" else sep


def checked_file(path: str, key: str) -> Path:
    """``path`` (``~`` expanded) if it is a readable file and not a compressed one named ``.csv``.

    Raises
    ------
    ConfigError
        Under ``key``: no such file, a folder, unreadable, compressed but named ``.csv``.
    """
    file = Path(path).expanduser()
    if not file.exists():
        raise ConfigError(f"{key}: no such file {str(file)!r}")
    if not file.is_file():
        raise ConfigError(f"{key}: {str(file)!r} is not a file")
    try:
        compressed = _compression(file)
    except OSError as error:
        raise ConfigError(f"{key}: cannot read {str(file)!r}: {error.strerror or error}") from None
    if compressed and file.suffix.lower() == ".csv":
        raise ConfigError(
            f"{key}: {str(file)!r} is {compressed}-compressed, not text: decompress it, or name it so that "
            f"its extension says so (pandas then reads it: .gz, .zip, .bz2, .xz, .zst)"
        )
    return file


def numeric_features(frame: pd.DataFrame, features: list[str], file: Path, key: str, first_row: int = 0) -> pd.DataFrame:
    """The ``features`` of ``frame`` as float64, every value checked to be a finite number.

    ``first_row`` is the file row of the frame's first row (for a file read in chunks).

    Raises
    ------
    ConfigError
        Under ``key``, naming the column, the row and its line in the file, and the value.
    """
    numeric = frame[features].apply(pd.to_numeric, errors="coerce")
    for column in features:
        bad = numeric[column].isna() | ~np.isfinite(numeric[column].to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            value = frame[column].iloc[row]
            shown = repr(value) if isinstance(value, str) else str(value)
            row += first_row
            raise ConfigError(
                f"{key}: column {column!r} of {str(file)!r} must be numeric and finite; "
                f"row {row} (line {row + 2} of the file) holds {shown}"
            )
    return numeric.astype(np.float64)


def read(path: str, target: str, features, sep: str = ",", max_classes: int = 50
         ) -> tuple[pd.DataFrame, list[str], str, dict[int, str]]:
    """Read and check a CSV file: its features as float64 and its target encoded 0..K−1, apart.

    Parameters
    ----------
    path : str
        The file (``~`` expanded).
    target : str
        The label column: 2 to ``max_classes`` distinct values, no blanks; encoded by their sort
        order (for two values, the larger becomes 1).
    features : list of str or None
        The feature columns (numeric, finite); None: every column but the target.
    sep : str
        The delimiter (``"\\t"`` for a tab).
    max_classes : int
        The most distinct labels accepted: more is taken for a continuous column named by mistake.

    Returns
    -------
    frame : DataFrame of shape (n_samples, n_features + 1)
        The features, then the encoded target in a column of its own name.
    features : list of str
    source : str
        The file's absolute path.
    label_names : dict
        The original label (as text) of each code 0..K−1.

    Raises
    ------
    ConfigError
        Naming the file, the column and the row at fault, and what to do.
    """
    file = checked_file(path, "dataset.path")
    try:
        frame = pd.read_csv(file, sep=delimiter(sep))
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        # EmptyDataError is a ValueError; OSError covers permissions and unreadable media
        raise ConfigError(f"dataset.path: cannot read {str(file)!r} as CSV: {error}") from None
    frame.columns = [str(c) for c in frame.columns]
    if target not in frame.columns:
        raise missing_column("dataset.target", target, file, frame.columns)
    features = _feature_list(file, list(frame.columns), target, features)
    blank = frame[target].isna().to_numpy()
    if blank.any():
        row = int(np.flatnonzero(blank)[0])
        raise ConfigError(
            f"dataset.target: column {target!r} of {str(file)!r} has {int(blank.sum())} blank(s), first at row {row} "
            f"(line {row + 2} of the file); every row needs a label"
        )
    labels = sorted(frame[target].unique(), key=lambda v: (str(type(v)), v))
    if not 2 <= len(labels) <= max_classes:
        shown = [str(v) for v in labels[:10]] + (["…"] if len(labels) > 10 else [])
        why = ("a classifier needs at least two" if len(labels) < 2 else
               f"more than dataset.max_classes={max_classes}: a continuous column named as the target by mistake? "
               "(raise dataset.max_classes if not)")
        raise ConfigError(
            f"dataset.target: column {target!r} of {str(file)!r} must hold 2 to {max_classes} distinct values (the classes) "
            f"and no blanks; got {len(labels)} value(s) {shown}: {why}"
        )
    out = numeric_features(frame, features, file, "dataset")
    codes = {value: code for code, value in enumerate(labels)}
    out[target] = frame[target].map(codes).astype(np.int64)  # a column of its own: never among the features
    return out, features, str(file.resolve()), {code: str(value) for code, value in enumerate(labels)}
