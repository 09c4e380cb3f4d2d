"""Column names as the formula's symbols.

A name that is a Python identifier (and not a keyword such as ``lambda``)
becomes ``sympy.Symbol(name)`` verbatim, so ``E``, ``I``, ``N``, ``S``,
``Q``, ``beta``, ``gamma`` or ``pi`` stay plain symbols, never sympy's
constants or functions.  Any other name (``T (K)``, ``1st``, ``lambda``) is
mapped to an identifier (``T_K``, ``x_1st``, ``lambda_``); the mapping is
returned so that it can be printed and stored.
"""
from __future__ import annotations

import keyword
import re

__all__ = ["symbol_names", "symbols_for", "parse_locals"]


def _identifier(name: str) -> str:
    text = re.sub(r"\W+", "_", name.strip()).strip("_") or "x"
    if text[0].isdigit():
        text = "x_" + text
    if keyword.iskeyword(text):
        text += "_"
    return text


def symbol_names(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """``(identifiers, {column name: identifier for the names that changed})``.

    Names that are identifiers keep them; a mapped name that would clash gets a suffix.
    """
    valid = lambda n: n.isidentifier() and not keyword.iskeyword(n)  # noqa: E731
    out, mapping, used = [], {}, {n for n in names if valid(n)}
    for name in names:
        if valid(name):
            out.append(name)
            continue
        ident = _identifier(name)
        base, k = ident, 2
        while ident in used:
            ident, k = f"{base}_{k}", k + 1
        used.add(ident)
        out.append(ident)
        if ident != name:
            mapping[name] = ident
    return out, mapping


def symbols_for(identifiers: list[str], positive=None) -> list:
    """Plain sympy symbols for the identifiers, in order: real, or positive where flagged.

    Positive symbols let sympy merge powers (``sqrt(x**2) = x``) of columns
    whose values are all positive.
    """
    import sympy
    positive = positive if positive is not None else [False] * len(identifiers)
    return [sympy.Symbol(n, positive=True) if p else sympy.Symbol(n, real=True)
            for n, p in zip(identifiers, positive)]


def parse_locals(identifiers: list[str]) -> dict:
    """``locals`` for ``sympy.sympify(formula, locals=...)`` that keeps every name a plain symbol."""
    return dict(zip(identifiers, symbols_for(identifiers)))
