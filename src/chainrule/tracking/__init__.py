"""MLflow: the store, one run's life, what a run records, the logged model, the server's backend.

- :mod:`.uris` — store URIs: the default, what one points at, how it is shown (no password);
- :mod:`.store` — opening a store (checked: one line when it cannot be used), experiments;
- :mod:`.orphans` — runs whose process died, ended KILLED at the next start;
- :mod:`.runs` — a run's name and tags, and its end, whatever happens;
- :mod:`.records` — params, metric histories, files, dataset splits and figures of a run;
- :mod:`.logged_model` — the trained model as a pyfunc model "from code";
- :mod:`.postgres`, :mod:`.server_backend` — PostgreSQL stores, and ``make server``'s backend;
- :mod:`.server_auth` — ``make server auth=true``: MLflow's basic-auth app, its user database, the admin's password;
- :mod:`.access` — a server's 401 and 403 said in one line, before anything is trained;
- :mod:`.accounts` — ``make user`` and ``make grant`` through MLflow's client of its auth app.

May import: MLflow, :mod:`chainrule.model`, :mod:`chainrule.runtime.process`, :mod:`chainrule.errors`.
Never :mod:`chainrule.plots`: figures reach a run as files (:func:`.records.figure_delivery`).
"""

PARENT_RUN_ENV = "CHAINRULE_PARENT_RUN_ID"
"""Set by the sweep callback in the launching process; jobs log as children of that run.
(Here, not in :mod:`.runs`: a job's process reads it before it imports MLflow.)"""
