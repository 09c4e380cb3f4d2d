"""B-splines as tensor functions: knots, bases, span tables, least squares, knot insertion.

The bottom layer of kanlab: plain tensors in and out, no Modules.
"""
from kanlab.splines._basis_function import BSplineBasisFunction, dense_basis
from kanlab.splines._bspline import (bspline_basis, check_knots, extend_points, local_basis,
                                     scatter_local, uniform_knots)
from kanlab.splines._fit import (evaluate_spline, fit_coefficients, insert_knots,
                                 project_coefficients, solve_least_squares)
from kanlab.splines._tables import SpanTables, cardinal_matrix, power_vectors, span_tables

__all__ = ["bspline_basis", "local_basis", "scatter_local", "uniform_knots", "extend_points",
           "check_knots", "dense_basis", "BSplineBasisFunction", "SpanTables", "span_tables",
           "cardinal_matrix", "power_vectors", "solve_least_squares", "fit_coefficients",
           "insert_knots", "project_coefficients", "evaluate_spline"]
