"""A figure is described as a FigureSpec and checked then, in the process that describes it — an
unknown figure or an argument its function does not take fails there, not later in the helper."""

import json
import subprocess
import sys

import numpy as np
import pytest

from chainrule.plots import figures
from chainrule.plots.specs import FigureSpec
from tests.conftest import ROOT


def test_an_unknown_figure_is_refused_when_it_is_described():
    with pytest.raises(ValueError, match="figure 'boundary': no figure function 'decision_boundry'; known: .*decision_boundary"):
        FigureSpec("boundary", "decision_boundry", ())
    with pytest.raises(ValueError, match="no figure function '_plain_log_axis'"):
        FigureSpec("axis", "_plain_log_axis", (None,))  # a helper of the module is not a figure


def test_arguments_the_function_does_not_take_are_refused_when_described():
    with pytest.raises(TypeError, match=r"figure 'loss_curve': figures.loss_curve\(train: .*, log_scale: 'bool' = True, kept: .*\): "
                                        "missing a required argument: 'title'"):
        FigureSpec("loss_curve", "loss_curve", (np.ones(3), None))
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'logscale'"):
        FigureSpec("loss_curve", "loss_curve", (np.ones(3), None, "t"), {"logscale": False})


def test_a_spec_draws_what_its_function_draws():
    spec = FigureSpec("loss_curve", "loss_curve", (np.linspace(1, 0.1, 5), None, "title"), {"log_scale": False})
    drawn, direct = spec.draw(), figures.loss_curve(np.linspace(1, 0.1, 5), None, "title", log_scale=False)
    assert drawn.axes[0].get_title() == direct.axes[0].get_title() == "title"
    assert drawn.axes[0].get_yscale() == direct.axes[0].get_yscale() == "linear"


def test_describing_and_checking_figures_imports_no_matplotlib():
    # A sweep's launching process describes figures for the helper to draw and must not pay for matplotlib.
    code = ("import sys, json, numpy as np; from chainrule.plots.specs import FigureSpec;"
            "FigureSpec('loss_curve', 'loss_curve', (np.ones(3), None, 't'));"
            "print(json.dumps([m for m in ('matplotlib', 'sklearn.metrics') if m in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []
