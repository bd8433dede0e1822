"""Everything a job of a sweep imports, imported at once: what joblib's workers are forked with.

joblib's workers are forked from a server process that imports this module when the sweep
begins (:func:`chainrule.sweeps.launchers.preload_workers`), so a worker starts with MLflow,
scikit-learn and matplotlib loaded instead of importing them before its first job. The
collector is paused for the imports and the heap they leave frozen, as Python's documentation
of :func:`gc.freeze` advises before forking: the workers inherit both.
"""

from chainrule.runtime import process

with process.importing():
    import mlflow.pyfunc  # noqa: F401  (logging a model)
    import mlflow.store.tracking.sqlalchemy_store  # noqa: F401  (opening the store)

    import chainrule.experiment.run  # noqa: F401  (MLflow, scikit-learn, the core)
    from chainrule.plots import figures

    figures.load_backend()  # matplotlib: a worker draws its runs' figures
