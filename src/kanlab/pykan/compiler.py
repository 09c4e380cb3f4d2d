"""``kan.compiler``: build a KAN that computes a given sympy formula exactly (``kanpiler``).

The formula's tree is laid out as a KAN, every edge a symbolic function
``c·f(a·x + b) + d`` from the library (splines off):

* an input symbol is an input node;
* a sum ``t_1 + t_2 + ... + const`` is a sum node; each term ``k·f(s·g + t)``
  becomes one edge from the node of ``g`` (``f`` is ``x`` when the term is
  ``k·g``), and the constant joins one edge's ``d``;
* a product ``g_1·g_2·...`` is a multiplication node of that arity, one
  sub-node (one edge) per factor;
* a function applied at the top of the formula, or to a sum, gets a sum node
  with one edge.

A node sits one layer above its deepest child; a child used higher up is
carried there through identity edges.  Supported functions: those of
:data:`kanlab.pykan.SYMBOLIC_LIB` that sympy names (sin, cos, tan, exp, log,
sqrt, tanh, sinh, cosh, arcsin, arccos, arctan, arctanh, abs, sign) and the
powers ``-4..5``, ``±1/2`` and ``3/2``.
"""
from __future__ import annotations

import sympy

from kanlab.pykan._model import MultKAN

# MultKAN: pykan's module imports it
__all__ = ["kanpiler", "expr2kan", "sf2kan", "next_nontrivial_operation", "MultKAN"]

_FUNCS = {sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan", sympy.exp: "exp",
          sympy.log: "log", sympy.tanh: "tanh", sympy.sinh: "sinh", sympy.cosh: "cosh",
          sympy.asin: "arcsin", sympy.acos: "arccos", sympy.atan: "arctan",
          sympy.atanh: "arctanh", sympy.Abs: "abs", sympy.sign: "sgn"}
_POWERS = {2: "x^2", 3: "x^3", 4: "x^4", 5: "x^5", -1: "1/x", -2: "1/x^2", -3: "1/x^3",
           -4: "1/x^4", sympy.Rational(1, 2): "sqrt", sympy.Rational(3, 2): "x^1.5",
           sympy.Rational(-1, 2): "1/sqrt"}


class _Node:
    """An input (``index``), a sum node or a multiplication node (``mult``) with its edges."""

    def __init__(self, terms=(), mult=False, index=None):
        self.terms, self.mult, self.index = list(terms), mult, index
        self.depth = 0 if index is not None else 1 + max(t[1].depth for t in self.terms)


def next_nontrivial_operation(expr, scale=1, bias=0):
    """``(inner, scale, bias)`` with ``scale · expr + bias = scale' · inner + bias'`` once the
    numbers added to or multiplying ``expr`` at its top are peeled off: for ``3·exp(x) − 2``,
    ``(exp(x), 3, −2)``.  ``scale`` and ``bias`` are what an outer peel already took (sympy
    numbers where ``expr`` gave them)."""
    expr = sympy.sympify(expr)
    while expr.func in (sympy.Add, sympy.Mul):
        numbers = [a for a in expr.args if a.is_number]
        if not numbers:
            break
        rest = expr.func(*[a for a in expr.args if not a.is_number])
        if expr.func is sympy.Add:
            bias = bias + scale * sympy.Add(*numbers)
        else:
            scale = scale * sympy.Mul(*numbers)
        expr = rest
    return expr, scale, bias


def _split_const(e):
    """``(k, rest)`` with ``e = k · rest``, ``k`` a number (π included)."""
    factors = sympy.Mul.make_args(e)
    k = sympy.Mul(*[f for f in factors if f.is_number])
    return float(k), sympy.Mul(*[f for f in factors if not f.is_number])


def _split_sum(e):
    """``(const, rest)`` with ``e = const + rest``, ``const`` a number."""
    terms = sympy.Add.make_args(e)
    return float(sympy.Add(*[t for t in terms if t.is_number])), \
        sympy.Add(*[t for t in terms if not t.is_number])


def _affine_arg(arg, inputs):
    """``(s, t, node)`` with ``arg = s · node + t``."""
    const, rest = _split_sum(arg)
    s, g = _split_const(rest)
    if g.is_number:
        raise ValueError(f"kanpiler: {arg} has no variable")
    return s, float(const), _node(g, inputs)


def _term(e, inputs):
    """One edge for ``e``: ``[name, node, a, b, c, d]`` meaning ``c·name(a·node + b) + d``."""
    k, g = _split_const(e)
    if isinstance(g, sympy.Pow) and g.exp.is_number:
        p = sympy.nsimplify(g.exp)
        if p == 1:
            return _term(k * g.base, inputs)
        if p not in _POWERS:
            raise ValueError(f"kanpiler: the power {p} in {e} is not in the library")
        s, t, node = _affine_arg(g.base, inputs)
        return [_POWERS[p], node, s, t, k, 0.0]
    if g.func in _FUNCS and len(g.args) == 1:
        s, t, node = _affine_arg(g.args[0], inputs)
        return [_FUNCS[g.func], node, s, t, k, 0.0]
    return ["x", _node(g, inputs), 1.0, 0.0, k, 0.0]


def _node(e, inputs):
    if isinstance(e, sympy.Symbol):
        if e not in inputs:
            raise ValueError(f"kanpiler: {e} is not one of the input variables {inputs}")
        return inputs[e]
    if isinstance(e, sympy.Add):
        const, rest = _split_sum(e)
        terms = [_term(t, inputs) for t in sympy.Add.make_args(rest)]
        terms[0][5] += float(const)
        return _Node(terms)
    if isinstance(e, sympy.Mul):
        k, rest = _split_const(e)
        factors = list(sympy.Mul.make_args(rest))
        if len(factors) == 1:
            return _Node([_term(e, inputs)])
        terms = [_term(f, inputs) for f in factors]
        terms[0][4] *= k
        terms[0][5] *= k
        return _Node(terms, mult=True)
    return _Node([_term(e, inputs)])


def _carry(node, depth, cache):
    """``node`` lifted to ``depth`` through identity edges."""
    while node.depth < depth:
        key = id(node)
        if key not in cache:
            cache[key] = _Node([["x", node, 1.0, 0.0, 1.0, 0.0]])
        node = cache[key]
    return node


def expr2kan(input_variables, expr, grid=5, k=3, auto_save=True, base_fun="silu"):
    """A :class:`kanlab.pykan.KAN` computing ``expr`` of ``input_variables`` with symbolic edges.

    As in the pykan that printed its Physics_4 tutorials (0.2.8 had ``auto_save=False``), the
    compiled model is saved as version ``0.1`` and auto-saves from there, so the tutorials'
    ``rewind('0.7')`` finds its version.  ``base_fun`` (that pykan's argument too) is the
    splines' base function: it shapes the edges a later ``perturb`` or ``expand_width``
    switches on, not the compiled function."""
    import torch

    from kanlab.pykan._model import KAN
    from kanlab.symbolic import fix_symbolic
    variables = list(input_variables)
    expr = sympy.sympify(expr)
    inputs = {v: _Node(index=i) for i, v in enumerate(variables)}
    root = _node(expr, inputs)
    if root.index is not None:  # the formula is one input
        root = _Node([["x", root, 1.0, 0.0, 1.0, 0.0]])
    layers = [[inputs[v] for v in variables]] + [[] for _ in range(root.depth)]
    cache, seen = {}, set()

    def place(node):
        if id(node) in seen or node.index is not None:
            return
        seen.add(id(node))
        for t in node.terms:
            t[1] = _carry(t[1], node.depth - 1, cache)
            place(t[1])
        layers[node.depth].append(node)
    place(root)
    for level in layers[1:]:
        level.sort(key=lambda n: n.mult)  # pykan's order: sum nodes, then multiplication nodes
    width, arity = [len(variables)], [[]]
    for level in layers[1:]:
        mults = [len(n.terms) for n in level if n.mult]
        width.append([len(level) - len(mults), len(mults)])
        arity.append(mults)
    width[-1] = width[-1] if width[-1][1] else width[-1][0]
    model = KAN(width=width, grid=grid, k=k, mult_arity=arity, auto_save=auto_save, seed=0,
                base_fun=base_fun)
    with torch.no_grad():
        for layer in model.layers:
            layer.mask.zero_()
    for l, level in enumerate(layers[1:]):
        index = {id(n): i for i, n in enumerate(layers[l])}
        sub = 0
        for node in level:
            edges = [[t] for t in node.terms] if node.mult else [node.terms]
            for group in edges:
                for name, child, a, b, c, d in group:
                    fix_symbolic(model, l, index[id(child)], sub, name, fit_params=False,
                                 params=(a, b, c, d))
                sub += 1
    model.log_history("expr2kan")
    return model


kanpiler = sf2kan = expr2kan
