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
