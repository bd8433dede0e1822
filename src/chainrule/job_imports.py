"""Everything a job of a sweep imports, imported at once.

joblib's workers are forked from a server process that imports this module when the sweep
begins (:func:`chainrule.launchers.preload_workers`), so a worker starts with MLflow,
scikit-learn and matplotlib loaded instead of importing them before its first job. The
collector is paused for the imports and the heap they leave frozen, as Python's documentation
of :func:`gc.freeze` advises before forking: the workers inherit both.
"""

from chainrule import process

process.pause_gc_for_imports()

import mlflow.pyfunc  # noqa: E402, F401  (logging a model)
import mlflow.store.tracking.sqlalchemy_store  # noqa: E402, F401  (opening the store)

import chainrule.pipeline  # noqa: E402, F401  (MLflow, scikit-learn, the core)
import chainrule.plots  # noqa: E402, F401  (matplotlib: a worker draws its runs' figures)

process.tune_gc_for_batch()
