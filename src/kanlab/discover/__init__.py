"""Data in, formula out: :func:`discover` finds a formula in a table of measurements.

``discover(X, y, names=[...])`` returns a :class:`DiscoveryResult` (the
formula as a sympy expression and a string, the Pareto front, the spline
model, metrics, ``predict``).  :func:`read_table` reads CSV/TSV, ``.npz`` or
Parquet files into a checked :class:`Table`; bad data raise
:class:`DataError` with a one-line message.  pandas, sympy and scipy are
imported only when used.
"""
from kanlab.discover._pipeline import discover
from kanlab.discover._reading import read_table
from kanlab.discover._result import DiscoveryResult
from kanlab.discover._table import DataError, Table, make_table

__all__ = ["discover", "read_table", "make_table", "DiscoveryResult", "DataError", "Table"]


class _CallableModule(type(__import__("sys"))):
    """``kanlab.discover`` is this subpackage and, called, the function :func:`discover`.

    Importing a submodule sets ``kanlab.discover`` to the package, which would
    hide a function of that name; a callable package keeps both spellings:
    ``kanlab.discover(X, y)`` and ``from kanlab.discover import read_table``.
    """

    def __call__(self, *args, **kwargs):
        return discover(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
