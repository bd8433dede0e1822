"""A figure described, not drawn: which function of :mod:`chainrule.plots.figures` draws it, and
with what — checked against that function's signature the moment it is described."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from types import FunctionType
from typing import Any

from chainrule.plots import figures


@dataclass(frozen=True)
class FigureSpec:
    """A figure to draw later (by the figure helper) or now: ``figures.<function>(*args, **kwargs)``,
    saved as ``<name>.png``.

    Raises
    ------
    ValueError
        If :mod:`chainrule.plots.figures` has no such function.
    TypeError
        If the function does not take these arguments.

    Both in the process that describes the figure, so that a mistake fails where it is made
    (and in the test suite), not inside a helper process as a tag on some run.
    """

    name: str
    function: str
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        draw = getattr(figures, self.function, None)
        if self.function not in known_figures():
            raise ValueError(f"figure {self.name!r}: no figure function {self.function!r}; "
                             f"known: {', '.join(known_figures())}")
        try:
            inspect.signature(draw).bind(*self.args, **self.kwargs)
        except TypeError as error:
            raise TypeError(f"figure {self.name!r}: figures.{self.function}{inspect.signature(draw)}: {error}") from None

    def draw(self):
        """The matplotlib Figure (imports matplotlib the first time)."""
        return getattr(figures, self.function)(*self.args, **self.kwargs)


def known_figures() -> list[str]:
    """The drawing functions of :mod:`chainrule.plots.figures`: its public functions but the backend loader."""
    # type(), not isinstance(): isinstance would ask the lazily loaded backend module its __class__, loading it
    return sorted(name for name, value in vars(figures).items()
                  if type(value) is FunctionType and not name.startswith("_") and name != "load_backend")
