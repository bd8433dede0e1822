"""After training: a run's model into MLflow's Model Registry (the ``champion`` alias on the best),
served over REST by ``mlflow models serve``, and applied to a CSV file in batches.

- :mod:`.registry` — registered models, versions and the ``champion`` alias: a sweep's best
  child registered as it ends, ``make promote`` by hand;
- :mod:`.models` — which model ``make serve`` and ``make predict`` use (``model=``, or the champion);
- :mod:`.serving` — ``make serve``'s ``mlflow models serve`` command and what it prints;
- :mod:`.predictions` — ``make predict``: a CSV read the way training reads one, scored in chunks.

Everything here is MLflow's mechanism (registered models, versions, aliases, ``models:/`` URIs,
the scoring server); these modules choose what to register and when, and read files the way
training reads them.

May import: MLflow, pandas, :mod:`chainrule.experiment` (its CSV reader and metrics),
:mod:`chainrule.errors`, :mod:`chainrule.tracking.uris` (a store's URI, password masked).
"""
