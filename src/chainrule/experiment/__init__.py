"""One experiment run, from a composed config to its scores: what a ``make run`` does.

- :mod:`.schemas`, :mod:`.checks` — the config's schemas (for Hydra) and the checks Hydra cannot do
  (:mod:`.account_checks`: those of ``make user`` and ``make grant``);
- :mod:`.data` (with :mod:`.csv_reader`) — load, split, scale; the target never among the features;
- :mod:`.factory` — the core model a config describes;
- :mod:`.metrics` — scikit-learn's scores per split;
- :mod:`.figures`, :mod:`.progress` — what a run draws, and shows while it trains;
- :mod:`.run` — the one-run flow; :mod:`.gradient_check` — the seed's Exercise 1 as a task.

May import: :mod:`chainrule.core`, :mod:`chainrule.model`, :mod:`chainrule.tracking`,
:mod:`chainrule.plots` (specs and the helper), Hydra's config types, scikit-learn, pandas.
Never ``pipelines/``; :mod:`.data` and :mod:`.metrics` never MLflow.
"""
