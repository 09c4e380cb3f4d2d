"""Helpers shared by the structure-search tests (tests/discover): positive symbols, the best
structure formula on held-back rows."""
import sympy

from kanlab.discover._constants import refit, rmse_of
from kanlab.discover._sparse import structure_formulas


def positive_symbols(*names):
    """One positive sympy symbol per name (the inputs of the tests' laws are positive)."""
    return [sympy.Symbol(n, positive=True) for n in names]


def best_structure(X, y, syms, n_train=300):
    """The structure search's formula best on rows ``n_train:`` (fitted on the first
    ``n_train`` rows, ``y`` untransformed), its constants refitted on the training rows."""
    tr, va = slice(0, n_train), slice(n_train, None)
    found = structure_formulas(X[tr], y[tr], X[va], y[va], syms, transforms=("id",))
    return refit(min(found, key=lambda f: rmse_of(f, syms, X[va], y[va])), syms, X[tr], y[tr])
