"""chainrule's Hydra plugin: the ``grid`` sweeper (see grid_sweeper.py)."""
