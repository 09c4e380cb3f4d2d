"""kanlab: Kolmogorov–Arnold Networks in PyTorch.

``import kanlab`` loads torch and numpy only; plotting (matplotlib) and
formulas (sympy) are imported by the modules that use them.
"""
from .datasets import create_dataset
from .layer import KANLayer
from .network import KAN
from .training import FitConfig, History, fit
from .validation import checks, set_checks

__version__ = "0.1.0"

__all__ = ["KAN", "KANLayer", "FitConfig", "History", "fit", "create_dataset", "load",
           "set_checks", "checks",
           "__version__"]


def load(path, *, map_location=None):
    """Restore a model written by :meth:`KAN.save` (see :mod:`kanlab.checkpoint`)."""
    from .checkpoint import load as _load
    return _load(path, map_location=map_location)
