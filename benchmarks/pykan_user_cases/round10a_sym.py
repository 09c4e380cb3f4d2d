"""A tenth round (with ``round10a_course`` and ``round10a_data``): sympy post-processing of
``symbolic_formula`` as papers' repositories and blog posts do it — ``sympy.latex`` of a
rounded formula, a formula of ten variables with ``x_10`` among them, ``nsimplify`` against
``pi``, ``count_ops`` as a complexity score, ``expand`` and ``Poly`` coefficients of a
polynomial target, formulas written to a text file and read back with ``parse_expr``,
``evalf(subs=...)`` at a point, ``fix_symbolic``'s returned r2 per edge, a two-layer
``sqrt(x^2+y^2)``, ``suggest_symbolic(topk=3)`` per edge, ``free_symbols`` renamed with
``xreplace`` and a ``lambdify`` on a ``pandas`` frame's columns; ``auto_symbolic``'s printout
parsed with a regex into a table of edge, name, r2 and complexity."""

import contextlib
import io
import os
import tempfile

import numpy as np
import torch

from ._common import case, quiet, rmse, small_dataset


def _fitted(K, f, width, n_var, steps=20, n=200, grid=5, **kw):
    ds = small_dataset(K, f, n_var=n_var, n=n, **kw)
    model = K.KAN(width=list(width), grid=grid, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=steps, update_grid=False)
    model(ds["train_input"])
    return model, ds


def _eval(expr, ds, n_var):
    import sympy
    xs = [sympy.Symbol(f"x_{i + 1}") for i in range(n_var)]
    fn = sympy.lambdify(xs, expr, "numpy")
    x = ds["test_input"].double().numpy()
    y = np.broadcast_to(np.asarray(fn(*[x[:, i] for i in range(n_var)]), dtype=float), (x.shape[0],))
    return rmse(torch.tensor(y.copy())[:, None], ds["test_label"])


@case
def latex_of_rounded_formula(K):
    # sympy.latex(ex_round(formula, 3)) for the paper's table
    import sympy
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin"])
    tex = sympy.latex(K.ex_round(model.symbolic_formula()[0][0], 3))
    return {"has_sin": "\\sin" in tex, "has_sq": "^{2}" in tex, "len_ok": 5 < len(tex) < 200}


@case
def ten_variable_additive_formula(K):
    # f = sum of ten 1D terms, width [10, 1]; formula's symbols x_1..x_10 sorted by index
    coefs = torch.linspace(0.2, 1.0, 10)
    f = lambda x: (coefs * x).sum(1, keepdim=True) + x[:, [9]] ** 2  # noqa: E731
    model, ds = _fitted(K, f, (10, 1), 10, n=300)
    quiet(model.auto_symbolic, lib=["x", "x^2"])
    expr = model.symbolic_formula()[0][0]
    names = sorted((str(s) for s in expr.free_symbols), key=lambda s: int(s.split("_")[1]))
    return {"n_vars": len(names), "last": names[-1] if names else "", "rmse": _eval(expr, ds, 10)}


@case
def nsimplify_recognises_pi(K):
    # nsimplify(ex_round(expr, 3), [sympy.pi]) on sin(pi x): does pi come back
    import sympy
    f = lambda x: torch.sin(torch.pi * x[:, [0]])  # noqa: E731
    model, ds = _fitted(K, f, (1, 1), 1, steps=30)
    quiet(model.auto_symbolic, lib=["sin", "x", "x^2"])
    quiet(model.fit, ds, opt="LBFGS", steps=10, update_grid=False)
    expr = model.symbolic_formula()[0][0]
    ns = sympy.nsimplify(K.ex_round(expr, 3), [sympy.pi], tolerance=1e-2)
    return {"formula_rmse": _eval(expr, ds, 1), "pi_found": ns.has(sympy.pi)}


@case
def count_ops_complexity_by_library(K):
    # complexity = sympy.count_ops(formula) for a small and a large library
    import sympy
    f = lambda x: torch.exp(x[:, [0]]) + torch.sin(x[:, [1]])  # noqa: E731
    out = {}
    for tag, lib in (("small", ["x", "x^2"]), ("large", ["x", "x^2", "exp", "sin", "tanh", "x^3"])):
        model, ds = _fitted(K, f, (2, 1), 2)
        quiet(model.auto_symbolic, lib=lib)
        expr = model.symbolic_formula()[0][0]
        out[f"ops_{tag}"] = int(sympy.count_ops(expr))
        out[f"rmse_{tag}"] = _eval(expr, ds, 2)
    return out


@case
def expand_poly_coefficients(K):
    # (x+y)^2 through width [2,1,1] with x and x^2; expand, Poly, the x_1*x_2 coefficient
    import sympy
    f = lambda x: (x[:, [0]] + x[:, [1]]) ** 2  # noqa: E731
    model, ds = _fitted(K, f, (2, 1, 1), 2, steps=30)
    quiet(model.auto_symbolic, lib=["x", "x^2"])
    quiet(model.fit, ds, opt="LBFGS", steps=15, update_grid=False)
    expr = sympy.expand(model.symbolic_formula()[0][0])
    x1, x2 = sympy.symbols("x_1 x_2")
    poly = sympy.Poly(expr, x1, x2)
    return {"degree": int(poly.total_degree()), "c_x1x2": round(float(poly.coeff_monomial(x1 * x2)), 2),
            "rmse": _eval(expr, ds, 2)}


@case
def formula_text_file_parse_expr(K):
    # open('formula.txt','w').write(str(expr)); parse_expr back; evaluate on the test rows
    from sympy.parsing.sympy_parser import parse_expr
    f = lambda x: x[:, [0]] ** 2 - torch.sin(x[:, [1]])  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin", "exp"])
    expr = K.ex_round(model.symbolic_formula()[0][0], 4)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "formula.txt")
        with open(path, "w") as fh:
            fh.write(str(expr))
        with open(path) as fh:
            back = parse_expr(fh.read())
    return {"same": bool((back - expr).equals(0)) or str(back) == str(expr), "rmse": _eval(back, ds, 2)}


@case
def evalf_subs_at_point(K):
    # formula.evalf(subs={x_1: a, x_2: b}) beside model(torch.tensor([[a, b]]))
    import sympy
    f = lambda x: torch.exp(0.5 * x[:, [0]]) * 1.0 + x[:, [1]]  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    quiet(model.auto_symbolic, lib=["x", "exp", "x^2"])
    expr = model.symbolic_formula()[0][0]
    x1, x2 = sympy.symbols("x_1 x_2")
    val = float(expr.evalf(subs={x1: 0.3, x2: -0.4}))
    with torch.no_grad():
        net = float(model(torch.tensor([[0.3, -0.4]])))
    return {"value": round(val, 3), "gap": abs(val - net), "truth": round(float(np.exp(0.15) - 0.4), 3)}


@case
def fix_symbolic_returned_r2_per_edge(K):
    # r2 = model.fix_symbolic(0, 0, 0, 'sin') for each edge of the README's [2,1,1]
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)  # noqa: E731
    ds = small_dataset(K, f, n=200)
    model = K.KAN(width=[2, 1, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=50)
    model(ds["train_input"])
    r2 = [float(quiet(model.fix_symbolic, *e, verbose=False))
          for e in ((0, 0, 0, "sin"), (0, 1, 0, "x^2"), (1, 0, 0, "exp"))]
    quiet(model.fit, ds, opt="LBFGS", steps=15, update_grid=False)
    return {"r2": [round(v, 3) for v in r2], "rmse": _eval(model.symbolic_formula()[0][0], ds, 2)}


@case
def two_layer_sqrt_of_squares(K):
    # sqrt(x^2 + y^2) on [0.2, 1]^2 through [2,1,1] with x^2 and sqrt; test RMSE of the formula
    f = lambda x: torch.sqrt(x[:, [0]] ** 2 + x[:, [1]] ** 2)  # noqa: E731
    model, ds = _fitted(K, f, (2, 1, 1), 2, steps=30, ranges=[0.2, 1.0])
    quiet(model.auto_symbolic, lib=["x", "x^2", "sqrt"])
    quiet(model.fit, ds, opt="LBFGS", steps=15, update_grid=False)
    expr = model.symbolic_formula()[0][0]
    return {"has_sqrt": "sqrt" in str(expr), "rmse": _eval(expr, ds, 2)}


@case
def suggest_symbolic_topk3_per_edge(K):
    # name, fun, r2, c = model.suggest_symbolic(0, i, 0, topk=3) for each input of [3, 1]
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2 + torch.exp(x[:, [2]])  # noqa: E731
    model, ds = _fitted(K, f, (3, 1), 3, grid=7)
    lib = ["x", "x^2", "x^3", "sin", "exp", "tanh", "abs"]
    names, r2s = [], []
    for i in range(3):
        name, fun, r2, c = quiet(model.suggest_symbolic, 0, i, 0, lib=lib, topk=3)
        names.append(name)
        r2s.append(round(float(r2), 3))
    return {"names": names, "r2": r2s}


@case
def xreplace_symbols_then_pandas_lambdify(K):
    # rename x_1, x_2 to column names with xreplace, lambdify over a DataFrame's columns
    import pandas as pd
    import sympy
    f = lambda x: 3 * x[:, [0]] + torch.cos(x[:, [1]])  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    quiet(model.auto_symbolic, lib=["x", "cos", "x^2"])
    expr = model.symbolic_formula()[0][0]
    cols = ["speed", "angle"]
    mapping = {sympy.Symbol(f"x_{i + 1}"): sympy.Symbol(c) for i, c in enumerate(cols)}
    named = expr.xreplace(mapping)
    df = pd.DataFrame(ds["test_input"].double().numpy(), columns=cols)
    y = sympy.lambdify([sympy.Symbol(c) for c in cols], named, "numpy")(df["speed"], df["angle"])
    y = torch.tensor(np.asarray(y, dtype=float))[:, None]
    return {"vars": sorted(str(s) for s in named.free_symbols), "rmse": rmse(y, ds["test_label"])}


@case
def auto_symbolic_then_fit_formula_vs_net(K):
    # after auto_symbolic + fit, the formula and the net agree (papers print both errors)
    f = lambda x: torch.tanh(2 * x[:, [0]]) + x[:, [1]] ** 3  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    quiet(model.auto_symbolic, lib=["x", "x^3", "tanh", "x^2"])
    quiet(model.fit, ds, opt="LBFGS", steps=10, update_grid=False)
    expr = model.symbolic_formula()[0][0]
    with torch.no_grad():
        net = rmse(model(ds["test_input"]), ds["test_label"])
    return {"net_rmse": net, "formula_rmse": _eval(expr, ds, 2),
            "names": [str(n) for n in model.symbolic_fun[0].funs_name[0]]}


@case
def auto_symbolic_log_parsed_to_table(K):
    # capture auto_symbolic's printout; a regex takes edge, name, r2 and c into a results table
    import re
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.auto_symbolic(lib=["x", "x^2", "sin", "exp"], verbose=1)
    rows = re.findall(r"fixing \((\d+),(\d+),(\d+)\) with (\S+), r2=([-\d.e]+), c=(\d+)", out.getvalue())
    return {"rows": [[f"{l},{i},{j}", name, round(float(r2), 3), int(c)] for l, i, j, name, r2, c in rows]}
