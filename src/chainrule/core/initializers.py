"""Weight initialisations, drawn from a seeded ``np.random.Generator``.

Biases always start at zero, as in the seed's listings 4 and 8.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._validation import lookup


def small(rng: np.random.Generator, fan_in: int, fan_out: int, shape) -> np.ndarray:
    """The seed's ``np.random.randn(...) * 0.01`` (listings 4 and 8)."""
    return rng.standard_normal(shape) * 0.01


def he(rng: np.random.Generator, fan_in: int, fan_out: int, shape) -> np.ndarray:
    """He et al. (2015): normal with variance ``2 / fan_in``; suits ReLU units."""
    return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)


def xavier(rng: np.random.Generator, fan_in: int, fan_out: int, shape) -> np.ndarray:
    """Glorot & Bengio (2010): uniform on ``±sqrt(6 / (fan_in + fan_out))``; suits tanh/sigmoid."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, shape)


INITIALIZERS: dict[str, Callable[..., np.ndarray]] = {
    "small": small,
    "he": he,
    "xavier": xavier,
}


def get_initializer(name: str) -> Callable[..., np.ndarray]:
    """Look an initialisation up by name; unknown names raise a ValueError listing the valid ones."""
    return lookup(INITIALIZERS, "init", name)
