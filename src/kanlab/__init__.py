"""kanlab: Kolmogorov–Arnold Networks in PyTorch.

``import kanlab`` loads torch and numpy only; plotting (matplotlib) and
formulas (sympy) are imported by the functions that use them.

Layers, bottom up (each imports only from the ones below it):
:mod:`kanlab.splines`, :mod:`kanlab.ops`, :mod:`kanlab.symbolic`,
:mod:`kanlab.nn`, :mod:`kanlab.train` and :mod:`kanlab.io`,
:mod:`kanlab.plotting`, :mod:`kanlab.sklearn`, :mod:`kanlab.cli`.
"""
from kanlab._validation import NoDataError, NonFiniteError
from kanlab.config import checks, set_checks
from kanlab.nn import KAN, KANLayer
from kanlab.train import FitConfig, History, create_dataset, fit

from kanlab._version import __version__

__all__ = ["KAN", "KANLayer", "FitConfig", "History", "fit", "create_dataset", "load",
           "set_checks", "checks", "NonFiniteError", "NoDataError", "discover", "__version__"]


def __getattr__(name):
    """``kanlab.discover``: imported on first use; a callable subpackage, so
    ``kanlab.discover(X, y, names=...)`` runs :func:`kanlab.discover.discover`
    (pandas, sympy and scipy are imported only when it runs)."""
    if name == "discover":
        import kanlab.discover as module
        return module
    raise AttributeError(f"module 'kanlab' has no attribute {name!r}")


def load(path, *, map_location=None):
    """Restore a model written by :meth:`KAN.save` (see :func:`kanlab.io.load`)."""
    from kanlab.io import load as _load
    return _load(path, map_location=map_location)
