"""A figure described, not drawn: which function of :mod:`chainrule.plots.figures` draws it, and
with what — checked against that function's signature the moment it is described.

A :class:`FigureSpec` is saved as ``<name>.png``; a :class:`SeriesSpec` (frames, one per step of
training) as ``<key>/<step>.png`` and, animated, ``<name>.gif``: the folder layout that
:func:`chainrule.tracking.records.upload_figures` turns into a run's artifacts (files into
``figures/``, a subfolder into the image series it is named after).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
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

    def save(self, folder: Path) -> None:
        """Draw and save as ``folder/<name>.png``."""
        # zlib's fastest level: 7 % of the drawing time saved for PNGs 3 % larger (measured here)
        self.draw().savefig(folder / f"{self.name}.png", pil_kwargs={"compress_level": 1})


@dataclass(frozen=True)
class SeriesSpec(FigureSpec):
    """Frames of training described: ``figures.<function>(*args, **kwargs)`` returns one RGB image
    (uint8, (height, width, 3)) per step of ``steps``; saved as the image series ``key`` (on the
    run's page, MLflow's step slider) and, with ``animate``, as ``<name>.gif`` too."""

    key: str = ""
    steps: tuple[int, ...] = ()
    animate: bool = True

    def save(self, folder: Path) -> None:
        from PIL import Image  # Pillow, matplotlib's own dependency

        from chainrule.plots.training import save_animation

        frames = self.draw()
        if len(frames) != len(self.steps):
            raise ValueError(f"figure {self.name!r}: {len(frames)} frames for {len(self.steps)} steps")
        series = folder / self.key
        series.mkdir()
        for step, frame in zip(self.steps, frames):
            Image.fromarray(frame).save(series / f"{step}.png", compress_level=1)
        if self.animate:
            save_animation(frames, folder / f"{self.name}.gif")


def known_figures() -> list[str]:
    """The drawing functions of :mod:`chainrule.plots.figures`: its public functions but the backend loader."""
    # type(), not isinstance(): isinstance would ask the lazily loaded backend module its __class__, loading it
    return sorted(name for name, value in vars(figures).items()
                  if type(value) is FunctionType and not name.startswith("_") and name != "load_backend")
