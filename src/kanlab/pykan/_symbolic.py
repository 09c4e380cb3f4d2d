"""pykan's symbolic API (``fix_symbolic``, ``suggest_symbolic``, ``auto_symbolic``,
``symbolic_formula``, ``ex_round``) on :mod:`kanlab.symbolic` (pykan's names for its
functions: :mod:`kanlab.pykan._symbolic_names`; ``add_symbolic`` and ``SYMBOLIC_LIB``:
:mod:`kanlab.pykan._symbolic_library`).

``a_range``/``b_range`` (pykan's default ``(-10, 10)`` each) bound the fitted
``a, b`` as in pykan: kanlab's fitter searches ``a, b`` from the data (every
candidate's own scale and phase) and keeps them in the box, through the
candidate's invariances where it can (``sin(-u)``, a power's scale), else by
fitting inside the bounds (:mod:`kanlab.symbolic._box`).  A bounded ``a`` keeps a
fixed edge's scale comparable with its neighbours', which a later gradient fit
of the symbolic network needs.
"""
from __future__ import annotations

import keyword
import warnings

import numpy as np
import torch

from kanlab import symbolic as _sym
from kanlab.pykan._gauge import balance_symbolic_nodes
from kanlab.pykan._ranking import (PykanChoice, candidate_complexity, pykan_complexity,
                                   pykan_losses, pykan_order)
from kanlab.pykan._symbolic_library import SYMBOLIC_LIB
from kanlab.pykan._symbolic_names import _lib, _name

__all__ = ["fix_symbolic", "suggest_symbolic", "auto_symbolic", "symbolic_formula", "ex_round",
           "column_function"]


def fix_symbolic(model, l, i, j, fun_name, fit_params_bool, a_range, b_range, verbose,
                 random=False):
    """pykan's ``fix_symbolic``: fit ``a, b, c, d`` in the bounds and return R² (a tensor),
    or, with ``fit_params_bool=False``, set ``(1, 0, 1, 0)`` (``random``: each drawn
    uniformly from ``[-1, 1)`` by torch's global generator, as pykan) and return None."""
    candidate = _name(fun_name)
    if not fit_params_bool:
        params = (torch.rand(4, device="cpu") * 2 - 1).tolist() if random else None
        _sym.fix_symbolic(model, l, i, j, candidate, fit_params=False, params=params)
        return None
    from kanlab.pykan._fit_params import fit_edge  # one-valued inputs: pykan's constant
    xi, yi = _sym.edge_samples(model, l, i, j, model._data(None))
    params, r2 = fit_edge(xi, yi, candidate, a_range=a_range, b_range=b_range)
    _sym.fix_symbolic(model, l, i, j, candidate, fit_params=False, params=params)
    _balance(model, a_range, {(l, i), (l + 1, j)})  # the nodes the edge reads and writes
    if verbose:
        print(f"r2 is {r2}")
        if r2 < 0.9:
            print("r2 is not very high, please double check if you are choosing the correct "
                  "symbolic function.")
    return torch.tensor(r2, device=model.device)


def suggest_symbolic(model, l, i, j, a_range, b_range, lib, topk, verbose, weight_simple,
                     r2_loss_fun=None, c_loss_fun=None):
    """``(best_name, best_fun, best_r2, best_c)``, ``best_fun`` the library's row
    ``(fn, sympy_fn, complexity, fn_avoiding_singularity)`` as pykan's; with ``verbose`` a
    table of the ``topk``.

    Every candidate is fitted by kanlab's fitter (in the bounds ``a_range``, ``b_range``)
    and ranked by pykan's rule: ``weight_simple · c_loss_fun(complexity) + (1 −
    weight_simple) · r2_loss_fun(R²)``, lowest first (``weight_simple=0``: by R² alone), and
    of the fits within :data:`TIE` of the lowest, the one kanlab's ranking puts first.
    """
    fits = _sym.suggest_symbolic(model, l, i, j, lib=_lib(lib), topk=None, x=model._data(None),
                                 a_range=a_range, b_range=b_range)
    r2_loss, c_loss, loss = pykan_losses(fits, weight_simple, r2_loss_fun, c_loss_fun)
    order = pykan_order(fits, loss)[:topk]
    if verbose:
        print(f"{'':>3} {'function':>10} {'fitting r2':>12} {'r2 loss':>10} {'complexity':>10} "
              f"{'complexity loss':>15} {'total loss':>10}")
        for rank, k in enumerate(order):
            print(f"{rank:>3} {fits[k].name:>10} {fits[k].r2:>12.6f} {r2_loss[k]:>10.6f} "
                  f"{pykan_complexity(fits[k]):>10} {c_loss[k]:>15.6g} {loss[k]:>10.6f}")
    best = fits[order[0]]
    lib_map = _sym.resolve_library(_lib(lib))
    # pykan's second entry is the library's row: (fn, sympy_fn, complexity, fn_avoiding)
    return best.name, SYMBOLIC_LIB._entry(lib_map[best.name]), best.r2, pykan_complexity(best)


def auto_symbolic(model, a_range, b_range, lib, verbose, weight_simple, r2_threshold):
    """pykan's ``auto_symbolic``: every spline edge fixed to the candidate that
    ``suggest_symbolic`` ranks first with ``weight_simple`` (pykan's rule on kanlab's fits),
    unless its R² is below ``r2_threshold``, where the edge stays a spline."""
    choose, names = PykanChoice(weight_simple), _lib(lib)
    with model.edit_structure():  # the mixed edges' inputs as without the move
        records = _fix_mixed_edges(model, a_range, b_range, names, float(r2_threshold), choose)
        records += _sym.auto_symbolic(model, lib=names, r2_threshold=float(r2_threshold),
                                      x=model._data(None), a_range=a_range, b_range=b_range,
                                      choose=choose)
    _balance(model, a_range)
    if verbose:
        _print_records(records, _sym.resolve_library(names), r2_threshold, verbose)


def _print_records(records, lib_map, r2_threshold, verbose) -> None:
    """``auto_symbolic``'s lines in pykan's form: ``fixing (l,i,j) with name, r2=..., c=...``
    (``c`` the candidate's complexity, as pykan's table gives it), after ``fix_symbolic``'s
    ``r2 is ...`` where ``verbose > 1``."""
    for r in sorted(records, key=lambda r: (r["l"], r["i"], r["j"])):
        edge = f"({r['l']},{r['i']},{r['j']})"
        if r["name"] is None:
            print(f"skipping {edge} since r2={r['r2']} < {r2_threshold}")
        elif r["name"] == "0":
            print(f"fixing {edge} with 0")
        else:
            if verbose > 1:
                print(f"r2 is {r['r2']}")
            c = candidate_complexity(lib_map[r["name"]]) if r["name"] in lib_map else None
            tail = "" if c is None else f", c={c}"
            print(f"fixing {edge} with {r['name']}, r2={r['r2']}{tail}")


def _balance(model, a_range, nodes=None) -> None:
    """Under the default ``a_range`` (pykan's bound, widened on narrow inputs), a hidden node
    whose readers' ``a`` went beyond the bound gets its scale back from them
    (:mod:`kanlab.pykan._gauge`); a bound the user gave needs none."""
    if isinstance(a_range, _sym.ScaledRange):
        balance_symbolic_nodes(model, max(abs(float(v)) for v in a_range), nodes)


@torch.no_grad()
def _fix_mixed_edges(model, a_range, b_range, lib, r2_threshold, choose) -> list[dict]:
    """Fix the edges that carry a symbolic function and a live spline at once (a compiled
    network after ``perturb`` or ``expand_depth``), each to the candidate that ``choose``
    picks among the fits to its whole function, symbolic part plus spline, on the model's
    last data.

    pykan's ``auto_symbolic`` fits every edge whose spline is on, these too, but on the
    spline part alone, and drops the symbolic part; kanlab's own skips them as symbolic.
    Records as :func:`kanlab.symbolic.auto_symbolic`'s."""
    from kanlab.symbolic._fit import suggest
    x = model._data(None)
    records = []
    for l, (layer, sym) in enumerate(zip(model.layers, model.symbolic)):
        mixed = ((layer.mask != 0) & (sym.mask != 0)).nonzero().tolist()
        if not mixed:
            continue
        level_input = model.forward_with_inputs(x)[1][l]
        for j, i in mixed:
            xi, spline = _sym.edge_samples(model, l, i, j, x)
            fn = sym.candidate_at(i, j).fn
            yi = layer.mask[j, i] * spline + sym.edge_values(level_input, [j], [i], fn)[:, 0]
            if bool((xi == xi[0]).all()):  # a constant input: the constant it outputs
                fit_name, params, r2 = "0", (1.0, 0.0, 1.0, float(yi.double().mean())), 1.0
            else:
                best = choose(suggest(xi, yi, lib=lib, topk=None, a_range=a_range,
                                      b_range=b_range))
                fit_name, params, r2 = best.name, tuple(best.params), best.r2
            chosen = fit_name if r2 >= r2_threshold else None
            if chosen is not None:
                candidate = _sym.resolve_library(lib)[chosen] if chosen != "0" else "0"
                _sym.fix_symbolic(model, l, i, j, candidate, fit_params=False, params=params)
            records.append({"l": l, "i": i, "j": j, "name": chosen, "r2": r2,
                            "params": params})
    return records


def _has_splines(model) -> bool:
    return any(bool((layer.mask != 0).any()) for layer in model.layers)


def _symbolic_copy(model):
    """A copy of ``model`` with its remaining spline edges fixed by ``auto_symbolic`` on the
    model's last data, each to its best candidate by kanlab's ranking whatever its R²
    (pykan's ``auto_symbolic`` threshold; pykan itself reads these edges as 0); the model
    itself is left as it is.  With a warning.

    pykan's ``symbolic_formula`` reads a spline edge as the zero function, so a formula
    written before every edge is symbolic silently drops those edges; kanlab fits them.
    """
    import copy
    n = sum(int((layer.mask != 0).sum()) for layer in model.layers)
    warnings.warn(f"{n} edges are still splines: the formula fixes them with auto_symbolic on a "
                  "copy of the model (call auto_symbolic to choose their functions yourself)",
                  UserWarning, stacklevel=4)
    twin = copy.deepcopy(model)
    twin.auto_save = False
    _sym.auto_symbolic(twin, x=model.reference_input, r2_threshold=0.0)  # pykan's default
    return twin


def symbolic_formula(model, var=None, normalizer=None, output_normalizer=None):
    import sympy
    if _has_splines(model) and model.reference_input is not None:
        model = _symbolic_copy(model)
    n = model.n_nodes[0]
    if var is None:
        symbols = [sympy.Symbol(f"x_{i + 1}") for i in range(n)]
    else:
        symbols = [v if isinstance(v, sympy.Basic) else sympy.Symbol(str(v)) for v in var]
    # a formula is built on identifiers: a name such as pykan's '|F|' is substituted back
    names = [s if isinstance(s, sympy.Symbol) and s.name.isidentifier()
             and not keyword.iskeyword(s.name) else sympy.Symbol(f"_v{k}")
             for k, s in enumerate(symbols)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        exprs = _sym.symbolic_formula(model, var_names=names, x=model.reference_input,
                                      check=model.reference_input is not None)
    exprs = [principal_phases(e) for e in exprs]
    if model.reference_input is not None:  # terms fitted as 1e-18 would keep factors apart
        exprs = _drop_negligible(model, exprs, names)
    # a product's scale in front, not split over its factors: ex_round rounds it once
    exprs = [_sym.scales_out_of_factors(e) for e in exprs]
    # inputs given as expressions (pykan's auxiliary variables) are substituted back
    subs = {nm: s for nm, s in zip(names, symbols) if nm is not s}
    if normalizer is not None:
        mean, std = normalizer
        subs = {nm: (subs.get(nm, nm) - mean[k]) / std[k] for k, nm in enumerate(names)}
    exprs = [e.subs(subs) if subs else e for e in exprs]
    if output_normalizer is not None:
        mean, std = output_normalizer
        exprs = [e * std[k] + mean[k] for k, e in enumerate(exprs)]
    return exprs, symbols


def principal_phases(expr):
    """``expr`` with the fitted phase of every ``sin``/``cos`` folded into ``[-π/2, π/2]``.

    ``sin(u + b)`` equals ``sin(u + b - 2πn)`` and ``-sin(u + b ∓ π)`` (``cos`` alike), so a
    fitted phase ``b`` (a float) is moved by whole turns and, beyond ``±π/2``, by half a turn
    with the sign carried outside.  The value is unchanged; the printed form is the short
    one: a fit that lands on ``-sin(πx + 3.1416)`` prints ``sin(πx)`` after ``ex_round``.
    Exact constants (``pi``, integers) are left as written.
    """
    import sympy

    def fold(fn):
        def rule(arg):
            if not arg.free_symbols:
                return fn(arg)
            const, rest = arg.as_independent(*arg.free_symbols, as_Add=True)
            if not (isinstance(const, sympy.Float) and np.isfinite(float(const))):
                return fn(arg)
            b = float(const)
            turns = round(b / (2 * np.pi))
            folded, sign = b - 2 * np.pi * turns, 1
            if abs(folded) > np.pi / 2:
                folded, sign = folded - np.copysign(np.pi, folded), -1
            if turns == 0 and sign == 1:
                return fn(arg)
            return sign * fn(rest + sympy.Float(folded))
        return rule

    return expr.replace(sympy.sin, fold(sympy.sin)).replace(sympy.cos, fold(sympy.cos))


def _drop_negligible(model, exprs, names):
    """Each formula without the terms of sums that change it on the model's last data by
    less than its own error against the network (at least 1e-7, at most 1e-4 of the output's
    spread): pykan's ``ex_round`` then rounds whole products (``x_1*x_2``, not
    ``1001*x_1*x_2/1000``)."""
    x = model.reference_input
    with torch.no_grad():
        net = model(x).detach().cpu().double().numpy()
    xs = x.detach().cpu().double().numpy()
    out = []
    for k, e in enumerate(exprs):
        try:
            mine = np.broadcast_to(np.asarray(_sym.to_numpy(e, names)(xs), dtype=float),
                                   (xs.shape[0],))
        except (TypeError, ValueError):  # a formula the evaluator cannot walk: leave it
            out.append(e)
            continue
        spread = float(np.std(net[:, k])) or max(float(np.abs(net[:, k]).max()), 1.0)
        err = float(np.sqrt(np.mean((mine - net[:, k]) ** 2)))
        tol = spread * min(max(err / spread if np.isfinite(err) else 0.0, 1e-7), 1e-4)
        out.append(_sym.drop_negligible_terms(e, names, xs, tol))
    return out


def column_function(variables, expr, tensors: bool = False):
    """``f(*columns)`` computing ``expr`` of ``variables``, as pykan's ``sympy.lambdify(variables,
    expr, 'numpy')`` (numpy columns ``(N,)``; with ``tensors``, torch columns ``(N, 1)``).

    lambdify prints ``expr`` as Python code, which fails on an exact integer of more digits than
    Python converts to text (``sys.get_int_max_str_digits()``, 4300 by default); such an
    expression is evaluated by kanlab's tree walk (:func:`kanlab.symbolic.to_numpy` /
    :func:`~kanlab.symbolic.to_torch`), which prints nothing."""
    import sympy
    variables = list(variables)
    try:
        return sympy.lambdify(variables, expr, "numpy")
    except ValueError:
        if tensors:
            walk = _sym.to_torch(expr, variables)
            return lambda *cols: walk(torch.cat([c.reshape(-1, 1) for c in cols], 1))  # (N, 1)
        walk = _sym.to_numpy(expr, variables)
        return lambda *cols: walk(np.stack(np.broadcast_arrays(*cols), 1))  # (N,)


def ex_round(ex1, n_digit: int):
    """``ex1`` with every floating-point number rounded to ``n_digit`` decimals (pykan's)."""
    import sympy
    floats = {a: sympy.Float(round(float(a), int(n_digit)))
              for a in sympy.preorder_traversal(ex1) if isinstance(a, sympy.Float)}
    return ex1.xreplace(floats)
