"""``make predict``: a model applied to a CSV file, the file read the way training reads one.

Feature columns are found by name (in any order); every other column is passed through to the
output; a column holding the labels the model was trained on (its target's name) is scored. The
file is read, scored and written in chunks of rows, so the rows themselves never sit in memory
at once; scoring a target keeps each row's class code and probability (16 bytes a row for two
classes) for scikit-learn's metrics at the end, whose temporaries over every row then set the
peak (``make bench``'s batch_predictions row: 1.5× the whole file's DataFrame at 1,000,000 × 20).
The output is written to a temporary file beside the chosen one and renamed only once every row
is done: a bad value at the last row leaves no partial file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from chainrule.errors import ConfigError
from chainrule.experiment import csv_reader, metrics

PROGRESS_ROWS = 100_000
"""Files with more rows than this show a progress bar."""


@dataclass
class Result:
    """What :func:`predict_file` did: ``rows`` scored into ``output``, and the scores against ``target`` if present."""

    rows: int
    output: Path
    columns: list[str]
    target: str | None = None
    scores: dict[str, float] = field(default_factory=dict)


def count_rows(file: Path) -> int:
    """The data rows of a CSV file (its lines but the header), counted in 1 MB blocks without parsing."""
    lines, last = 0, b"\n"
    with open(file, "rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return max(lines + (last != b"\n") - 1, 0)


def _output_path(path: str, file: Path) -> Path:
    output = Path(path).expanduser()
    if output.exists() and output.resolve() == file.resolve():
        raise ConfigError(f"output: {str(output)!r} is the input file; write the predictions to another file")
    if not output.parent.is_dir():
        raise ConfigError(f"output: no folder {str(output.parent)!r} to write {output.name!r} in")
    if output.is_dir():
        raise ConfigError(f"output: {str(output)!r} is a folder; name a file")
    return output


def _load(model_uri: str):
    """The pyfunc model, its feature columns (from its signature), and the chainrule predictor behind it (or None)."""
    try:
        model = mlflow.pyfunc.load_model(model_uri)
    except Exception as error:  # noqa: BLE001 - MLflow raises many kinds here; each says what was wrong
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(f"model: cannot load {model_uri!r}: {detail}") from None
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        raise ConfigError(f"model: {model_uri!r} has no signature naming its input columns")
    predictor = getattr(model.unwrap_python_model(), "predictor", None) if hasattr(model, "unwrap_python_model") else None
    return model, schema.input_names(), predictor


def _probabilities(predicted: pd.DataFrame, predictor) -> np.ndarray:
    """The model's probabilities back from its output columns: (n,) for two classes, (n, K) for K."""
    if "probability" in predicted:
        return predicted["probability"].to_numpy()
    return predicted[[f"probability_{name}" for name in predictor.label_names]].to_numpy()


def predict_file(model_uri: str, input_path: str, output_path: str, sep: str = ",", chunk_rows: int = 100_000,
                 progress: bool = True) -> Result:
    """Apply the model at ``model_uri`` to every row of the CSV ``input_path``; write ``output_path``.

    The output holds the input's rows and columns as read, then the model's columns (for two
    classes ``probability`` and ``label``; for K, ``probability_<label>`` each and ``label``),
    named ``predicted_<column>`` if the input has a column of that name already.

    Raises
    ------
    ConfigError
        Naming the key, file, column and row: a file that cannot be read, a feature column missing,
        a value that is not a finite number, a label the model does not know. The output file is
        then not written (and an earlier one of the same name is left as it was).
    """
    file = csv_reader.checked_file(input_path, "input")
    output = _output_path(output_path, file)
    sep = csv_reader.delimiter(sep)
    try:
        columns = [str(c) for c in pd.read_csv(file, sep=sep, nrows=0).columns]
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise ConfigError(f"input: cannot read {str(file)!r} as CSV: {error}") from None
    model, features, predictor = _load(model_uri)
    for name in features:
        if name not in columns:
            raise csv_reader.missing_column("input", name, file, columns)
    target = predictor.target if predictor is not None and predictor.target in columns else None
    rows = count_rows(file)

    from tqdm import tqdm  # only here: the progress bar of a long file

    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent)
    done, codes, probabilities, names = 0, [], [], None
    try:
        with os.fdopen(handle, "w", newline="") as out, tqdm(
            total=rows, unit=" rows", unit_scale=True, disable=not progress or rows <= PROGRESS_ROWS, file=sys.stderr,
        ) as bar:
            try:
                chunks = pd.read_csv(file, sep=sep, chunksize=chunk_rows)
                for chunk in chunks:
                    chunk.columns = columns
                    X = csv_reader.numeric_features(chunk, features, file, "input", first_row=done)
                    predicted = model.predict(X)
                    if target is not None:
                        try:
                            codes.append(predictor.codes(chunk[target].to_numpy()))
                        except ValueError as error:
                            row, _, rest = str(error).removeprefix("row ").partition(" ")
                            raise ConfigError(f"input: target column {target!r} of {str(file)!r}: row {int(row) + done} "
                                              f"(line {int(row) + done + 2} of the file) {rest}") from None
                        probabilities.append(_probabilities(predicted, predictor))
                    if names is None:
                        names = [f"predicted_{c}" if c in columns else c for c in predicted.columns]
                    predicted.columns = names
                    predicted.index = chunk.index
                    pd.concat([chunk, predicted], axis=1).to_csv(out, sep=sep, header=done == 0, index=False)
                    done += len(chunk)
                    bar.update(len(chunk))
            except (UnicodeDecodeError, pd.errors.ParserError) as error:
                raise ConfigError(f"input: cannot read {str(file)!r} as CSV after row {done}: {error}") from None
            except mlflow.exceptions.MlflowException as error:
                raise ConfigError(f"input: rows {done} to {done + chunk_rows - 1} of {str(file)!r}: {error.message}") from None
        if done == 0:
            raise ConfigError(f"input: {str(file)!r} has a header and no rows: nothing to predict")
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    result = Result(done, output, columns + (names or []), target)
    if target is not None:
        y, proba = np.concatenate(codes), np.concatenate(probabilities)
        labels = dict(enumerate(predictor.label_names)) if predictor.label_names else None
        result.scores = metrics.scores(y, proba, labels)
    return result
