"""Figures from arrays (matplotlib, Agg), described as typed specs, drawn here or by a helper process.

- :mod:`.figures` — the drawing functions (matplotlib loads when the first one draws);
- :mod:`.specs` — :class:`~.specs.FigureSpec`, a figure described and checked, not yet drawn;
- :mod:`.helper` — the process that draws a sweep's figures while the next run trains.

May import: NumPy, pandas, matplotlib, scikit-learn's displays. Never MLflow: figures leave as
PNG files through a callable the caller gives (:func:`chainrule.tracking.records.figure_delivery`).
"""
