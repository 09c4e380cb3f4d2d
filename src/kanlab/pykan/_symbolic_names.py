"""pykan's names for symbolic functions, read against kanlab's library: the aliases
pykan spells differently (``x^0.5``, ``1/sqrt(x)``, ``sign``), the one function pykan's table
names that kanlab's searches leave out (``1/x^5``), and a user's bare function as a
:class:`~kanlab.symbolic.Candidate` with pykan's sympy form."""
from __future__ import annotations

from kanlab.symbolic import LIBRARY, Candidate

# pykan's names that kanlab spells differently
_ALIASES = {"x^0.5": "sqrt", "1/x^0.5": "1/sqrt", "1/sqrt(x)": "1/sqrt", "sign": "sgn",
            "cos": "cos", "x^1": "x"}


def _pykan_only(name: str):
    """A function pykan's table names but kanlab's library leaves out of its searches
    (``1/x^5``): usable by name in ``fix_symbolic``, never suggested; None for other names."""
    if name == "1/x^5":
        from kanlab.symbolic._library import _pow
        return _pow(-5)
    return None


def _lookup(name):
    """The candidate a pykan name stands for (aliases, ``1/x^5`` too); None if none."""
    name = _ALIASES.get(name, name)
    return LIBRARY[name] if name in LIBRARY else _pykan_only(name)


def _name(name):
    if isinstance(name, str):
        found = _lookup(name)
        if found is None:
            raise ValueError(f"unknown symbolic function {name!r}; known: {list(LIBRARY)}")
        return found
    if isinstance(name, Candidate):
        return name
    if callable(name):  # pykan accepts a bare torch function
        return _candidate_from_callable("anonymous", name)  # pykan's funs_name
    raise TypeError(f"fun_name must be a name or a function, got {type(name).__name__}")


def _lib(lib):
    if lib is None:
        return None
    return [_ALIASES.get(n, n) if isinstance(n, str) else n for n in lib]

class _SympyOfCallable:
    """pykan's sympy form of a user's function: the function itself called on the sympy
    argument (``lambda x: 0.75 * x`` gives ``0.75*x``), or, where it does not take sympy
    (torch-only operations), an opaque ``sympy.Function`` of its name."""

    def __init__(self, name: str, fn) -> None:
        self.name, self.fn = name, fn

    def __call__(self, u):
        import sympy
        try:
            out = self.fn(u)
        except Exception:  # noqa: BLE001 (a torch-only function: any error means "not sympy")
            out = None
        return out if isinstance(out, sympy.Basic) else sympy.Function(self.name)(u)


def _candidate_from_callable(name: str, fn, complexity: int = 2) -> Candidate:
    return Candidate(name, fn, _SympyOfCallable(name, fn), int(complexity))
