"""What drawing needs: matplotlib on its Agg backend (no screen), and scikit-learn's metric displays.

Loaded lazily by :mod:`chainrule.plots.figures`, when the first figure is drawn.
"""

import matplotlib

matplotlib.use("Agg")

from matplotlib import colormaps, colors, rc_context  # noqa: E402, F401  (for chainrule.plots.figures)
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402, F401
from matplotlib.collections import LineCollection  # noqa: E402, F401
from matplotlib.figure import Figure  # noqa: E402, F401
from matplotlib.patches import Rectangle  # noqa: E402, F401
from matplotlib.ticker import FuncFormatter, LogFormatter, NullLocator  # noqa: E402, F401
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay  # noqa: E402, F401


class PlainLogFormatter(LogFormatter):
    """Log-axis tick labels written 0.3, 0.001, 1e-05 rather than 3×10⁻¹ (clearer, and no mathtext to
    typeset), on the ticks matplotlib's LogFormatter labels: every decade, and between decades only
    when the axis spans about one or less (then a loss curve still has labels)."""

    def __call__(self, x, pos=None):
        return f"{x:g}" if super().__call__(x, pos) else ""
