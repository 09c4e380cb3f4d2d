"""``kan.MultKAN``: the model class (see :mod:`kanlab.pykan._model`)."""
from kanlab.pykan._lbfgs import LBFGS
from kanlab.pykan._model import KAN, MultKAN
from kanlab.pykan._symbolic_library import SYMBOLIC_LIB
from kanlab.pykan.KANLayer import KANLayer
from kanlab.pykan.Symbolic_KANLayer import Symbolic_KANLayer
from kanlab.pykan.hypothesis import plot_tree
from kanlab.pykan.spline import curve2coef

# the model and the names of pykan's module that are pykan's own (``from kan.MultKAN import *``)
__all__ = ["KAN", "MultKAN", "KANLayer", "Symbolic_KANLayer", "LBFGS", "curve2coef", "plot_tree",
           "SYMBOLIC_LIB"]
