"""chainrule: neural-network mathematics from first principles, as a declarative experiment pipeline.

Its parts, each a package that says what it may import (``tests/test_architecture.py`` holds the rules):

- :mod:`chainrule.core` — the seed's mathematics in NumPy, and nothing but NumPy;
- :mod:`chainrule.model` — the trained model as it travels with an MLflow model (core only);
- :mod:`chainrule.experiment` — one run: config checks, data, metrics, the run flow, Exercise 1;
- :mod:`chainrule.plots` — figures from arrays, and the helper that draws them (never MLflow);
- :mod:`chainrule.tracking` — MLflow: the store, what a run records, the logged model (never plots);
- :mod:`chainrule.sweeps` — Hydra's side: a job, a sweep's parent run, its summary, ``make report``, launchers;
- :mod:`chainrule.runtime` — processes: signals, the collector, the command line, local servers;
- :mod:`chainrule.errors` — the two errors raised on purpose, bad settings and a diverged trial;
- :mod:`chainrule.benchmarks` — what ``make bench`` measures.

Nothing here imports ``pipelines/`` (the thin entry points) and no part imports another back.
"""

__version__ = "0.1.0"
