"""Helpers shared by the structure-search tests (tests/discover): positive symbols, the best
structure formula on held-back rows."""
import numpy as np
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


def law_data(law, ranges, n=1500, seed=3):
    """``n`` rows drawn uniformly in ``ranges`` (one (lo, hi) per input) and ``law`` on them."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(lo, hi, n) for lo, hi in ranges])
    return X, law(*X.T)


def best_found(find, law, ranges, names, noise=0.0):
    """The candidate of ``find`` (a search with the pipeline's signature) closest to ``law`` on
    fresh noise-free points: (expr, RMS error ÷ std(y), symbols)."""
    X, y = law_data(law, ranges)
    y = y + noise * np.std(y) * np.random.default_rng(5).standard_normal(len(y))
    symbols = sympy.symbols(names, positive=True)
    found = find(X[:900], y[:900], X[900:1200], y[900:1200], symbols)
    assert found, "no candidate"
    X_new, y_new = law_data(law, ranges, n=500, seed=11)
    errors = []
    for expr in found:
        f = sympy.lambdify(symbols, expr, "numpy")
        with np.errstate(all="ignore"):
            errors.append(float(np.sqrt(np.mean((f(*X_new.T) - y_new) ** 2))) / float(np.std(y_new)))
    k = int(np.nanargmin(errors))
    return found[k], errors[k], symbols
