"""pykan's user-function library: ``add_symbolic`` and ``SYMBOLIC_LIB``, a live view of
kanlab's library in pykan's table shape."""
from __future__ import annotations

from kanlab import symbolic as _sym
from kanlab.pykan._ranking import candidate_complexity
from kanlab.pykan._symbolic_names import _lookup, in_table, mark_added, mark_removed, table_names

__all__ = ["add_symbolic", "SYMBOLIC_LIB"]


class _SympyFunction:
    """A named sympy function of one argument, picklable (unlike a local lambda)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, u):
        import sympy
        return sympy.Function(self.name)(u)



def add_symbolic(name: str, fun, c: int = 1, fun_singularity=None) -> None:
    """Add ``fun`` (a torch function of one tensor) to the library under ``name``.

    A function that autograd cannot differentiate gets a numerical derivative
    (kanlab's fitter warns about it; see :class:`kanlab.symbolic.Candidate`).
    ``fun_singularity``, pykan's ``f(x, y_th) -> (threshold, value)``, is what a symbolic
    edge of this function computes while singularities are avoided (``fit(...,
    singularity_avoiding=True)``); without it kanlab's capping rule
    (:mod:`kanlab.pykan._singularity`).
    """
    _register(name, fun, _SympyFunction(name), c, fun_singularity)


def _register(name, fun, sympy_fun, c, fun_singularity=None) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"a symbolic function's name must be a non-empty str, got {name!r}")
    if not callable(fun) or not callable(sympy_fun):
        raise TypeError(f"{name!r}: the torch function and the sympy function must be callables, "
                        f"got {type(fun).__name__} and {type(sympy_fun).__name__}")
    if fun_singularity is not None and not callable(fun_singularity):
        raise TypeError(f"{name!r}: the singularity-avoiding function must be a callable, got "
                        f"{type(fun_singularity).__name__}")
    from kanlab.pykan._singularity import UsersAvoiding
    own = None if fun_singularity is None else UsersAvoiding(fun_singularity)
    _sym.register(name, fun, sympy_fun, int(c), overwrite=True, avoiding=own)
    mark_added(name)


class _Library(dict):
    """``SYMBOLIC_LIB``: pykan's table, read from kanlab's live library: ``name -> (fn,
    sympy_fn, complexity, fn_avoiding_singularity)`` (the last as
    :mod:`kanlab.pykan._singularity`'s helpers).  It lists pykan 0.2.8's names in pykan's
    order, then the functions ``add_symbolic`` added; kanlab's other names (``sigmoid``,
    ``sinh``, ``cosh``) can be looked up too.  Users edit it as pykan's dict:
    ``SYMBOLIC_LIB[name] = (fn, sympy_fn[, complexity[, fn_avoiding_singularity]])`` adds a
    function as ``add_symbolic`` does (its singularity-avoiding function included; without one
    kanlab's rule, :mod:`kanlab.pykan._singularity`), ``del SYMBOLIC_LIB[name]`` / ``pop`` take a name out of
    the table and of the searches with ``lib=None``."""

    @staticmethod
    def _entry(c):
        from kanlab.pykan._singularity import for_candidate
        return c.fn, c.sympy_fn, candidate_complexity(c), for_candidate(c)

    def _live(self):
        return {n: self._entry(_lookup(n)) for n in table_names()}

    def keys(self):
        return self._live().keys()

    def __getitem__(self, key):
        if not in_table(key):
            raise KeyError(key)
        return self._entry(_lookup(key))

    def __contains__(self, key):
        return in_table(key)

    def __setitem__(self, key, value):
        if not isinstance(value, (tuple, list)) or not 2 <= len(value) <= 4:
            raise TypeError(f"SYMBOLIC_LIB[{key!r}] takes a tuple (torch function, sympy "
                            f"function[, complexity[, singularity-avoiding function]]), got "
                            f"{value!r}")
        _register(key, value[0], value[1], value[2] if len(value) > 2 else 1,
                  value[3] if len(value) > 3 else None)

    def __delitem__(self, key):
        if not in_table(key):
            raise KeyError(key)
        mark_removed(key)

    def pop(self, key, *default):
        if len(default) > 1:
            raise TypeError(f"pop expected at most 2 arguments, got {1 + len(default)}")
        if not in_table(key):
            if default:
                return default[0]
            raise KeyError(key)
        value = self[key]
        del self[key]
        return value

    def update(self, other=(), **kw):
        for k, v in dict(other, **kw).items():
            self[k] = v

    def __iter__(self):
        return iter(table_names())

    def __len__(self):
        return len(table_names())

    def items(self):
        return self._live().items()

    def values(self):
        return self._live().values()

    def get(self, key, default=None):
        return self[key] if key in self else default

    def copy(self) -> dict:
        """A plain dict of the entries (``lib = SYMBOLIC_LIB.copy(); lib.pop('0')``)."""
        return self._live()

    def __repr__(self):
        return repr(self._live())


SYMBOLIC_LIB = _Library()
