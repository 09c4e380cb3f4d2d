"""pykan's names for symbolic functions, read against kanlab's library: the aliases
pykan spells differently (``x^0.5``, ``1/sqrt(x)``, ``sign``), the one function pykan's table
names that kanlab's searches leave out (``1/x^5``), and a user's bare function as a
:class:`~kanlab.symbolic.Candidate` with pykan's sympy form."""
from __future__ import annotations

from kanlab.symbolic import LIBRARY, Candidate

# pykan 0.2.8's table (``kan.utils.SYMBOLIC_LIB``), in its order: what ``SYMBOLIC_LIB.keys()``
# lists and what ``suggest_symbolic`` / ``auto_symbolic`` search when ``lib`` is None.  kanlab's
# own library also has ``sigmoid``, ``sinh`` and ``cosh``; pykan's searches never offer them, so
# kanlab.pykan's do not either (they stay usable by name).
PYKAN_TABLE = ("x", "x^2", "x^3", "x^4", "x^5", "1/x", "1/x^2", "1/x^3", "1/x^4", "1/x^5",
               "sqrt", "x^0.5", "x^1.5", "1/sqrt(x)", "1/x^0.5", "exp", "log", "abs", "sin",
               "cos", "tan", "tanh", "sgn", "arcsin", "arccos", "arctan", "arctanh", "0",
               "gaussian")

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


# the table's edits (``SYMBOLIC_LIB[name] = ...``, ``add_symbolic``, ``del SYMBOLIC_LIB[name]``):
# names a user put in the table (kanlab's own ``sigmoid``, ``sinh``, ``cosh`` join its listing
# and its searches so), and pykan names a user took out of it (out of the listing and of the
# searches with ``lib=None``; ``fix_symbolic`` still knows them by name)
_USER_NAMES: dict[str, None] = {}
_REMOVED: set[str] = set()


def mark_added(name: str) -> None:
    _REMOVED.discard(name)
    _USER_NAMES[name] = None


def mark_removed(name: str) -> None:
    _USER_NAMES.pop(name, None)
    _REMOVED.add(name)


def added_names() -> list[str]:
    """Names in kanlab's library that pykan's table does not list and a user added
    (``add_symbolic``, item assignment, or kanlab's own ``register``), less those removed."""
    from kanlab.symbolic._library import CODES
    return [n for n in LIBRARY if (n not in CODES or n in _USER_NAMES)
            and n not in PYKAN_TABLE and n not in _REMOVED]


def table_names() -> list[str]:
    """``SYMBOLIC_LIB``'s keys: pykan's table, then the functions a user added."""
    return [n for n in PYKAN_TABLE if n not in _REMOVED] + added_names()


def in_table(name) -> bool:
    """Whether ``SYMBOLIC_LIB`` holds ``name`` (pykan's names, aliases and ``1/x^5``, kanlab's
    own names, a user's; not a removed one)."""
    return isinstance(name, str) and name not in _REMOVED and _lookup(name) is not None


def _lib(lib):
    """A ``lib`` argument in kanlab's names, each once; None: pykan's table (less ``1/x^5``,
    which kanlab's searches leave out) and the functions a user added, in kanlab's library's
    order (which breaks ties of equal fits, as before)."""
    if lib is None:
        offered = {_ALIASES.get(n, n) for n in table_names()}
        lib = [n for n in LIBRARY if n in offered]
    out, seen = [], set()
    for n in lib:
        if isinstance(n, str):
            n = _ALIASES.get(n, n)
            if n not in LIBRARY and _pykan_only(n) is not None:
                n = _pykan_only(n)  # ``1/x^5``, which a user's list may name
        key = n if isinstance(n, str) else getattr(n, "name", id(n))
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out

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
