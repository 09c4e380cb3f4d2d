"""A ninth round of pykan code from scientists' repositories (with ``round9a_sym`` and
``round9a_phys``): ``plot`` with sympy expressions as ``in_vars``/``out_vars`` (Physics_4A),
``symbolic_formula`` with a tuple of assumed-positive symbols and with names holding spaces,
an affine written into ``symbolic_fun[l].affine`` by hand, ``auto_symbolic()`` over the whole
default library, ``add_symbolic`` with a ``fun_singularity`` then a singularity-avoiding fit,
a formula's torch ``lambdify`` differentiated against the model's ``autograd.grad``,
``get_range`` after a symbolic fix, ``ex_round`` over a two-output formula list, and a float64
symbolic pipeline ending in ``kanpiler`` of the found formula."""

import contextlib
import importlib
import io
import os

import torch

from ._common import case, quiet, rmse, small_dataset


def _fitted(K, f, width, n_var=2, steps=20, n=200, **kw):
    ds = small_dataset(K, f, n_var=n_var, n=n, **kw.pop("ds", {}))
    model = K.KAN(width=list(width), grid=5, k=3, seed=0, auto_save=False, **kw)
    quiet(model.fit, ds, opt="LBFGS", steps=steps, update_grid=False)
    model(ds["train_input"])
    return model, ds


@case
def plot_sympy_in_out_vars_title(K):
    # Physics_4A: in_vars as sympy expressions (a determinant symbol, F_11...), out_vars latex
    import matplotlib.pyplot as plt
    import sympy
    D = sympy.Symbol("|F|")
    F = sympy.symbols("F_11 F_12")
    model, ds = _fitted(K, lambda x: x[:, [0]] ** 2 + x[:, [1]] + x[:, [2]], (3, 2, 1), n_var=3, steps=5)
    model.plot(folder="./figs", in_vars=[D] + list(F), out_vars=[r"$P_{11}$"], title="law", varscale=0.75)
    fig = plt.gcf()  # every text on the figure (pykan writes on its first axes)
    texts = [t.get_text() for t in fig.texts] + [t.get_text() for a in fig.get_axes() for t in a.texts]
    plt.close("all")
    return {"texts": sorted(texts), "pngs": len([p for p in os.listdir("./figs") if p.endswith(".png")])}


@case
def formula_positive_symbol_tuple(K):
    # var=sympy.symbols('m v', positive=True) (a tuple), simplify(sqrt(v**2)) stays v
    import sympy
    m, v = sympy.symbols("m v", positive=True)
    model, ds = _fitted(K, lambda x: x[:, [0]] + x[:, [1]] ** 2, (2, 1))
    quiet(model.auto_symbolic, lib=["x", "x^2"])
    forms, xs = model.symbolic_formula(var=(m, v))
    e = sympy.simplify(forms[0])
    return {"xs": [str(s) for s in xs], "positive": [bool(s.is_positive) for s in e.free_symbols],
            "n_forms": len(forms)}


@case
def formula_var_names_with_spaces(K):
    # column names with spaces ("flow rate") as var: pykan splits them with sympy.symbols
    model, ds = _fitted(K, lambda x: x[:, [0]] + x[:, [1]], (2, 1), steps=5)
    quiet(model.auto_symbolic, lib=["x"])
    try:
        forms, xs = model.symbolic_formula(var=["flow rate", "T"])
        return {"xs": [str(s) for s in xs], "types": [type(s).__name__ for s in xs]}
    except Exception as e:
        return {"raised": type(e).__name__}


@case
def affine_written_by_hand(K):
    # a known law prescribed: fix_symbolic without fitting, then affine.data[j, i] set by hand
    model, ds = _fitted(K, lambda x: 2 * torch.sin(3 * x[:, [0]]) + x[:, [1]], (2, 1), steps=5)
    quiet(model.fix_symbolic, 0, 0, 0, "sin", fit_params_bool=False)
    quiet(model.fix_symbolic, 0, 1, 0, "x", fit_params_bool=False)
    model.symbolic_fun[0].affine.data[0, 0] = torch.tensor([3.0, 0.0, 2.0, 0.0])
    model.symbolic_fun[0].affine.data[0, 1] = torch.tensor([1.0, 0.0, 1.0, 0.0])
    with torch.no_grad():
        err = rmse(model(ds["test_input"]), ds["test_label"])
    expr = model.symbolic_formula()[0][0]
    xs = sorted(expr.free_symbols, key=str)
    val = float(expr.subs({xs[0]: 0.2, xs[1]: -0.3}))
    return {"rmse": err, "formula_at": round(val, 4), "expected": round(2 * float(torch.sin(torch.tensor(0.6))) - 0.3, 4)}


@case
def auto_symbolic_default_lib(K):
    # auto_symbolic() with no lib: the whole SYMBOLIC_LIB searched (as quickstarts do)
    model, ds = _fitted(K, lambda x: torch.exp(x[:, [0]]) + torch.sin(torch.pi * x[:, [1]]), (2, 1))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.auto_symbolic()
    return {"names": [str(n) for n in model.symbolic_fun[0].funs_name[0]],
            "rmse": rmse(model(ds["test_input"]).detach(), ds["test_label"]),
            "n_lib": len(K.SYMBOLIC_LIB)}


@case
def add_symbolic_singularity_then_fit(K):
    # add_symbolic('inv', 1/x, fun_singularity=a clamped version), fix it, singularity-avoiding fit
    def inv_safe(x, y_th):
        x_th = 1 / y_th
        return x_th / y_th * x_th, (torch.abs(x) < x_th) * y_th + (torch.abs(x) >= x_th) * torch.nan_to_num(1 / x)
    K.add_symbolic("inv", lambda x: 1 / x, c=2, fun_singularity=inv_safe)
    f = lambda x: 1 / (x[:, [0]] + 2) + x[:, [1]]  # noqa: E731
    model, ds = _fitted(K, f, (2, 1), steps=10)
    r2 = quiet(model.fix_symbolic, 0, 0, 0, "inv")
    quiet(model.fix_symbolic, 0, 1, 0, "x")
    r = quiet(model.fit, ds, opt="LBFGS", steps=10, update_grid=False, singularity_avoiding=True, y_th=100.0)
    return {"r2": round(float(r2), 4), "test_loss": float(r["test_loss"][-1]),
            "name": str(model.symbolic_fun[0].funs_name[0][0])}


@case
def formula_gradient_vs_autograd(K):
    # lambdify(modules='torch') of the formula, its autograd gradient vs the model's
    import sympy
    model, ds = _fitted(K, lambda x: torch.sin(torch.pi * x[:, [0]]) * 0.5 + x[:, [1]] ** 2, (2, 1))
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin"])
    expr, xs = model.symbolic_formula()
    fn = sympy.lambdify(xs[:2], expr[0], "torch")
    x = ds["test_input"][:50].clone().requires_grad_(True)
    g_model = torch.autograd.grad(model(x).sum(), x)[0]
    x2 = ds["test_input"][:50].clone().requires_grad_(True)
    g_form = torch.autograd.grad(fn(x2[:, 0], x2[:, 1]).sum(), x2)[0]
    return {"gap": float((g_model - g_form).abs().max()), "grad_rmse": rmse(g_model[:, 1], 2 * x[:, 1].detach())}


@case
def get_range_after_fix_symbolic(K):
    # get_range(l, i, j, verbose=False) on a fixed edge: numpy 0-d values, printed lines when verbose
    model, ds = _fitted(K, lambda x: x[:, [0]] ** 2 + x[:, [1]], (2, 1), steps=10)
    quiet(model.fix_symbolic, 0, 0, 0, "x^2")
    model(ds["train_input"])
    xr = model.get_range(0, 0, 0, verbose=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.get_range(0, 1, 0)
    return {"types": [type(v).__name__ for v in xr], "vals": [round(float(v), 3) for v in xr],
            "printed": out.getvalue().count("range")}


@case
def ex_round_two_output_list(K):
    # [ex_round(f, 3) for f in symbolic_formula()[0]] on a two-output model, then lambdify both
    import sympy
    f = lambda x: torch.cat([x[:, [0]] ** 2, x[:, [0]] + x[:, [1]]], 1)  # noqa: E731
    model, ds = _fitted(K, f, (2, 2), steps=15)
    quiet(model.auto_symbolic, lib=["x", "x^2"])
    forms, xs = model.symbolic_formula()
    rounded = [K.ex_round(fm, 3) for fm in forms]
    x = ds["test_input"].double()
    ys = [sympy.lambdify(xs[:2], fm, "numpy")(x[:, 0].numpy(), x[:, 1].numpy()) for fm in rounded]
    ys = [torch.as_tensor(y, dtype=torch.float64) * torch.ones(len(x), dtype=torch.float64) for y in ys]
    return {"n": len(rounded), "rmse": rmse(torch.stack(ys, 1), ds["test_label"])}


@case
def float64_symbolic_then_kanpiler(K):
    # float64 default: fit, auto_symbolic, formula -> kanpiler -> same function as a new KAN
    import sympy
    torch.set_default_dtype(torch.float64)
    kanpiler = importlib.import_module(K.__name__ + ".compiler").kanpiler
    model, ds = _fitted(K, lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2, (2, 1))
    quiet(model.auto_symbolic, lib=["x", "x^2", "sin"])
    expr, xs = model.symbolic_formula()
    e = K.ex_round(expr[0], 4)
    model2 = kanpiler(list(xs[:2]), e)
    with torch.no_grad():
        gap = rmse(model2(ds["test_input"]), model(ds["test_input"]))
    return {"dtype": str(model2.act_fun[0].coef.dtype), "gap": gap, "width": model2.width,
            "floats": len(e.atoms(sympy.Float))}


@case
def raw_kelvin_auto_symbolic_wide_ranges(K):
    # no scaling: T in [250, 450] with grid_range set, auto_symbolic with wide a/b ranges
    g = torch.Generator().manual_seed(0)
    T = torch.rand(300, 1, generator=g) * 200 + 250
    y = 0.02 * T + 1.0
    ds = {"train_input": T[:200], "train_label": y[:200], "test_input": T[200:], "test_label": y[200:]}
    model = K.KAN(width=[1, 1], grid=5, k=3, seed=0, auto_save=False, grid_range=[250, 450])
    quiet(model.fit, ds, opt="LBFGS", steps=20, update_grid=False)
    model(ds["train_input"])
    quiet(model.auto_symbolic, lib=["x", "exp", "log", "1/x"], a_range=(-40, 40), b_range=(-40, 40))
    with torch.no_grad():
        err = rmse(model(ds["test_input"]), ds["test_label"])
    return {"name": str(model.symbolic_fun[0].funs_name[0][0]), "sym_rmse": err}


@case
def raw_kelvin_no_grid_update_adam(K):
    # the common slip: raw kelvin inputs, default grid [-1, 1], update_grid=False, Adam
    g = torch.Generator().manual_seed(0)
    T = torch.rand(300, 1, generator=g) * 200 + 250
    y = torch.exp(-600.0 / T) * 10
    ds = {"train_input": T[:200], "train_label": y[:200], "test_input": T[200:], "test_label": y[200:]}
    model = K.KAN(width=[1, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    r = quiet(model.fit, ds, opt="Adam", lr=0.01, steps=50, update_grid=False)
    return {"test_loss": float(r["test_loss"][-1])}
