"""pykan's user-function library: ``add_symbolic`` and ``SYMBOLIC_LIB``, a live view of
kanlab's library in pykan's table shape."""
from __future__ import annotations

from kanlab import symbolic as _sym
from kanlab.pykan._ranking import candidate_complexity
from kanlab.pykan._symbolic_names import _lookup, table_names

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
    """
    _sym.register(name, fun, _SympyFunction(name), int(c), overwrite=True)


class _Library(dict):
    """``SYMBOLIC_LIB``: pykan's table, read from kanlab's live library: ``name -> (fn,
    sympy_fn, complexity, fn_avoiding_singularity)`` (the last as
    :mod:`kanlab.pykan._singularity`'s helpers).  It lists pykan 0.2.8's names in pykan's
    order, then the functions ``add_symbolic`` added; kanlab's other names (``sigmoid``,
    ``sinh``, ``cosh``) can be looked up too."""

    @staticmethod
    def _entry(c):
        from kanlab.pykan._singularity import for_candidate
        return c.fn, c.sympy_fn, candidate_complexity(c), for_candidate(c)

    def _live(self):
        return {n: self._entry(_lookup(n)) for n in table_names()}

    def keys(self):
        return self._live().keys()

    def __getitem__(self, key):
        found = _lookup(key) if isinstance(key, str) else None
        if found is None:
            raise KeyError(key)
        return self._entry(found)

    def __contains__(self, key):
        return isinstance(key, str) and _lookup(key) is not None

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
