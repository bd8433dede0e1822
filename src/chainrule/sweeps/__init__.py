"""Sweeps: a Hydra multirun as one MLflow parent run, what it gets when it ends, ``make report``, launchers.

- :mod:`.callback` — the Hydra callback that gives a multirun its parent run and closes it;
- :mod:`.summary` — the parent's figures, table and best child when the sweep ends;
- :mod:`.report` — ``make report``'s table of a sweep's runs;
- :mod:`.launchers` — the one place that says what a launcher (basic, joblib, submitit, SLURM) or
  a sweeper (grid, Optuna) means for a sweep.

May import: Hydra, MLflow, :mod:`chainrule.experiment`, :mod:`chainrule.tracking`, :mod:`chainrule.plots`,
:mod:`chainrule.runtime`, :mod:`chainrule.deploy` (a sweep registers its best child).
"""
