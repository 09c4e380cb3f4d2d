"""A ninth round of pykan code from scientists' repositories (with ``round9a_phys``;
``--kinds round9a`` runs both): symbolic-regression pipelines — ``symbolic_formula(var=...)``
with a table's column names as plain strings, and with normalizers beside them; a large
library with ``add_symbolic(..., c=3)`` and ``auto_symbolic(verbose=4)``; ``suggest_symbolic``
with tensor ``a_range`` from the data; nested ``ex_round`` then ``nsimplify``; a partial
``auto_symbolic`` (``r2_threshold``) evaluated through ``lambdify``; ``get_fun``'s sorted
points; ``fix_symbolic(fit_params_bool=False)`` then fitting the affine; the formula after
``remove_node``; ``symbolic_formula(floating_digit=...)`` (pykan 0.1's keyword)."""

import contextlib
import io

import numpy as np
import torch

from ._common import case, quiet, rmse, small_dataset


def _fitted(K, f, width, n_var, steps=20, n=200, lamb=0.0, **kw):
    ds = small_dataset(K, f, n_var=n_var, n=n, **kw.pop("ds", {}))
    model = K.KAN(width=list(width), grid=kw.pop("grid", 5), k=3, seed=0, auto_save=False, **kw)
    quiet(model.fit, ds, opt="LBFGS", steps=steps, update_grid=False, lamb=lamb)
    model(ds["train_input"])
    return model, ds


def _lam(expr, names):
    import sympy
    return sympy.lambdify([sympy.Symbol(n) for n in names], expr, "numpy")


@case
def formula_column_name_strings_lambdify(K):
    # symbolic_formula(var=df.columns.tolist()) with plain strings, then lambdify on the table
    f = lambda x: 2 * x[:, [0]] + x[:, [1]] ** 2  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin"])
    cols = ["T", "rho"]
    forms, xs = model.symbolic_formula(var=cols)
    expr = forms[0]
    x = ds["test_input"].double().numpy()
    y = _lam(expr, cols)(x[:, 0], x[:, 1])
    with torch.no_grad():
        direct = model(ds["test_input"]).double().numpy()[:, 0]
    return {"vars": sorted(str(s) for s in expr.free_symbols), "xs": [str(v) for v in xs],
            "gap": float(np.max(np.abs(y - direct))), "rmse": rmse(torch.tensor(y)[:, None], ds["test_label"])}


@case
def formula_strings_with_normalizers(K):
    # raw physical inputs, standardised for training; formula in raw units via normalizer
    g = torch.Generator().manual_seed(1)
    raw = torch.rand(300, 2, generator=g) * torch.tensor([50.0, 4.0]) + torch.tensor([250.0, 1.0])
    y = 0.01 * raw[:, [0]] + torch.sin(raw[:, [1]])
    mean, std = raw.mean(0), raw.std(0)
    ymean, ystd = y.mean(0), y.std(0)
    xn, yn = (raw - mean) / std, (y - ymean) / ystd
    ds = {"train_input": xn[:200], "train_label": yn[:200], "test_input": xn[200:], "test_label": yn[200:]}
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    quiet(model.fit, ds, opt="LBFGS", steps=20, update_grid=False)
    model(ds["train_input"])
    quiet(model.auto_symbolic, lib=["x", "sin", "x^2"])
    forms, _ = model.symbolic_formula(var=["T", "P"], normalizer=[mean, std], output_normalizer=[ymean, ystd])
    pred = _lam(forms[0], ["T", "P"])(raw[200:, 0].double().numpy(), raw[200:, 1].double().numpy())
    return {"n_forms": len(forms), "vars": sorted(str(s) for s in forms[0].free_symbols),
            "raw_rmse": rmse(torch.as_tensor(pred)[:, None], y[200:])}


@case
def big_lib_add_symbolic_c3_verbose4(K):
    # add_symbolic('Logit', torch.special.logit, c=3), then a 27-name library and verbose=4
    K.add_symbolic("Logit", torch.special.logit, c=3)
    lib = ["x", "x^2", "x^3", "x^4", "x^5", "1/x", "1/x^2", "1/x^3", "1/x^4", "1/x^5", "sqrt",
           "x^1.5", "1/sqrt(x)", "exp", "log", "abs", "sin", "cos", "tan", "tanh", "sgn", "Logit",
           "arcsin", "arccos", "arctan", "arctanh", "0", "gaussian"]
    f = lambda x: torch.exp(x[:, [0]]) + x[:, [1]] ** 3  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.auto_symbolic(lib=lib, verbose=4)
    names = [str(n) for n in model.symbolic_fun[0].funs_name[0]]
    return {"names": names, "printed_fixing": out.getvalue().count("fixing"),
            "sym_rmse": rmse(model(ds["test_input"]).detach(), ds["test_label"]),
            "in_lib": "Logit" in K.SYMBOLIC_LIB}


@case
def suggest_symbolic_tensor_a_range(K):
    # a_range=(x.min(), x.max()) with 0-d tensors from the training inputs
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]]  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    x = ds["train_input"]
    name, fun, r2, c = quiet(model.suggest_symbolic, 0, 0, 0, lib=["x", "sin", "tanh", "x^2"],
                              a_range=(x[:, 0].min(), x[:, 0].max()))
    return {"name": name, "r2": round(float(r2), 3), "c": int(c)}


@case
def nested_ex_round_nsimplify(K):
    # ex_round(ex_round(f, 5), 2) then sympy.nsimplify and simplify; compare with the data
    import sympy
    f = lambda x: x[:, [0]] ** 2 + 0.5 * x[:, [1]]  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2, steps=30)
    quiet(model.auto_symbolic, lib=["x", "x^2"])
    quiet(model.fit, ds, opt="LBFGS", steps=10, update_grid=False)
    expr = model.symbolic_formula()[0][0]
    r = K.ex_round(K.ex_round(expr, 5), 2)
    ns = sympy.simplify(sympy.nsimplify(r, tolerance=0.05, rational=True))
    xs = sorted(ns.free_symbols, key=str)
    y = sympy.lambdify(xs, ns, "numpy")(*[ds["test_input"][:, i].double().numpy() for i in range(len(xs))])
    return {"vars": [str(s) for s in xs], "n_floats": len(r.atoms(sympy.Float)),
            "ns_rmse": rmse(torch.as_tensor(y, dtype=torch.float64).reshape(-1, 1), ds["test_label"])}


@case
def partial_auto_symbolic_lambdify(K):
    # r2_threshold high: some edges stay splines; the formula (unfixed edges 0) vs the model
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + torch.abs(x[:, [1]]) ** 0.7  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin"], r2_threshold=0.99)
    mask = model.symbolic_fun[0].mask.tolist()
    names = [str(n) for n in model.symbolic_fun[0].funs_name[0]]
    expr = model.symbolic_formula()[0][0]
    return {"sym_mask": mask, "names": names, "vars": sorted(str(s) for s in expr.free_symbols)}


@case
def get_fun_sorted_points(K):
    # get_fun(l, i, j): the (sorted) inputs and outputs of one activation, then an own fit
    f = lambda x: x[:, [0]] ** 2 + x[:, [1]]  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    xs, ys = model.get_fun(0, 0, 0)
    import matplotlib.pyplot as plt
    plt.close("all")
    xs, ys = np.asarray(xs), np.asarray(ys)
    coef = np.polyfit(xs, ys, 2)
    return {"n": int(xs.shape[0]), "sorted": bool(np.all(np.diff(xs) >= 0)), "types": type(xs).__name__,
            "quad_coef": round(float(coef[0]), 2)}


@case
def fix_no_fit_params_then_fit_affine(K):
    # fix_symbolic(..., fit_params_bool=False) gives the identity affine; fit() learns it
    f = lambda x: 3 * torch.sin(2 * x[:, [0]]) + x[:, [1]]  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2, steps=5)
    quiet(model.fix_symbolic, 0, 0, 0, "sin", fit_params_bool=False)
    quiet(model.fix_symbolic, 0, 1, 0, "x", fit_params_bool=False)
    aff0 = model.symbolic_fun[0].affine[0, 0].tolist()
    r = quiet(model.fit, ds, opt="LBFGS", steps=30, update_grid=False)
    aff = model.symbolic_fun[0].affine[0, 0].tolist()
    return {"affine_before": [round(v, 3) for v in aff0], "moved": abs(aff[0] - 1) > 0.1,
            "test_loss": float(r["test_loss"][-1])}


@case
def remove_node_then_formula(K):
    # remove a hidden node (pykan's mode 'all'), auto_symbolic, the formula on the data
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2  # noqa: E731
    model, ds = _fitted(K, f, (2, 3, 1), 2, lamb=0.01)
    quiet(model.remove_node, 1, 2)
    model(ds["train_input"])
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin", "0"])
    expr = model.symbolic_formula()[0][0]
    xs = [model.symbolic_formula()[1][i] for i in range(2)]
    import sympy
    y = sympy.lambdify(xs, expr, "numpy")(ds["test_input"][:, 0].double().numpy(), ds["test_input"][:, 1].double().numpy())
    with torch.no_grad():
        direct = model(ds["test_input"]).double()
    return {"mask1": model.act_fun[1].mask.tolist(), "names1": [str(n) for n in model.symbolic_fun[1].funs_name[0]],
            "gap": rmse(torch.as_tensor(y).reshape(-1, 1) + 0 * direct, direct)}


@case
def symbolic_formula_floating_digit(K):
    # pykan 0.1 code: symbolic_formula(floating_digit=3); 0.2.8 has no such keyword
    f = lambda x: x[:, [0]] + x[:, [1]] ** 2  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2, steps=10)
    quiet(model.auto_symbolic, lib=["x", "x^2"])
    try:
        model.symbolic_formula(floating_digit=3)
        return {"raised": None}
    except Exception as e:
        return {"raised": type(e).__name__}


@case
def auto_symbolic_weight_simple_zero_vs_one(K):
    # weight_simple=0 (r2 alone) and 1 (simplicity alone) on the same trained copies
    f = lambda x: torch.tanh(2 * x[:, [0]]) + x[:, [1]] ** 2  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    out = {}
    for ws in (0.0, 1.0):
        m = model.copy()
        m(ds["train_input"])
        quiet(m.auto_symbolic, lib=["x", "x^2", "tanh", "sin", "x^3"], weight_simple=ws)
        out[str(ws)] = [str(n) for n in m.symbolic_fun[0].funs_name[0]]
    return {"names": out}


@case
def symbolic_lib_del_entries_default_search(K):
    # ``del SYMBOLIC_LIB['arcsin']`` (a survival-analysis repository's module header), here
    # narrowed to four names: auto_symbolic() with no lib searches what is left
    keep = ("x", "x^2", "sin", "tanh")
    for name in list(K.SYMBOLIC_LIB.keys()):
        if name not in keep:
            del K.SYMBOLIC_LIB[name]
    f = lambda x: torch.exp(x[:, [0]]) + torch.sin(torch.pi * x[:, [1]])  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2, steps=10)
    quiet(model.auto_symbolic)
    names = [str(n) for n in model.symbolic_fun[0].funs_name[0]]
    return {"names": names, "n_lib": len(K.SYMBOLIC_LIB), "arcsin_in": "arcsin" in K.SYMBOLIC_LIB,
            "all_kept": all(n in keep for n in names)}


@case
def symbolic_lib_item_assignment(K):
    # SYMBOLIC_LIB['softplus'] = (torch fn, sympy fn, complexity, singular-safe fn), as users
    # write instead of add_symbolic; fix_symbolic by that name, its sympy form in the formula
    import sympy
    K.SYMBOLIC_LIB["softplus"] = (torch.nn.functional.softplus, lambda x: sympy.log(1 + sympy.exp(x)), 3,
                                  lambda x, y_th: ((), torch.nn.functional.softplus(x)))
    f = lambda x: torch.nn.functional.softplus(2 * x[:, [0]]) + x[:, [1]]  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), 2)
    r2 = quiet(model.fix_symbolic, 0, 0, 0, "softplus")
    quiet(model.fix_symbolic, 0, 1, 0, "x")
    expr = model.symbolic_formula()[0][0]
    with torch.no_grad():
        err = rmse(model(ds["test_input"]), ds["test_label"])
    return {"r2": round(float(r2), 4), "in_keys": "softplus" in list(K.SYMBOLIC_LIB.keys()),
            "has_log": bool(expr.atoms(sympy.log)), "sym_rmse": err}
