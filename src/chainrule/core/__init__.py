"""The seed's mathematics in NumPy, and nothing but NumPy.

Logistic regression (§2–3), the one-hidden-layer network (§4), backpropagation (§5)
and gradient descent (eq. 20), vectorised over the batch — and where a learner goes next:
any depth, a softmax over K classes, scikit-learn's optimizers, schedules and early stopping. Equation numbers in the
docstrings refer to ``neural-network-mathematics.txt``.

May import: NumPy and the standard library, nothing else (a test holds it).
"""

from .activations import ACTIVATIONS, Activation, get_activation, sigmoid
from .flow import GradientFlow
from .gradcheck import numerical_gradients, relative_error
from .initializers import INITIALIZERS, get_initializer
from .losses import binary_cross_entropy, softmax
from .optimizers import OPTIMIZERS, Adam, GradientDescent, Momentum
from .outputs import OUTPUTS
from .schedules import SCHEDULES
from .snapshots import Snapshots, hidden_outputs
from .stopping import MONITORS
from .base import design_matrix
from .models import MLP, LogisticRegression
from .training import History, fit

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "MLP",
    "MONITORS",
    "OPTIMIZERS",
    "OUTPUTS",
    "SCHEDULES",
    "Snapshots",
    "Activation",
    "Adam",
    "GradientDescent",
    "GradientFlow",
    "Momentum",
    "History",
    "LogisticRegression",
    "binary_cross_entropy",
    "design_matrix",
    "fit",
    "get_activation",
    "get_initializer",
    "hidden_outputs",
    "numerical_gradients",
    "relative_error",
    "sigmoid",
    "softmax",
]
