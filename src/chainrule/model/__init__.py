"""The trained model as it travels: weights in a pickle-free ``.npz`` and MLflow's pyfunc wrapper.

This package and :mod:`chainrule.core` are the code a logged model carries (the files are found
from this package's imports: :func:`chainrule.tracking.logged_model.model_code`).

May import: :mod:`chainrule.core`, NumPy, pandas; MLflow in :mod:`.pyfunc` alone.
"""
