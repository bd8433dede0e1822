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
from matplotlib.ticker import FuncFormatter, NullLocator  # noqa: E402, F401
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay  # noqa: E402, F401
