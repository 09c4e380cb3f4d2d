"""An eleventh round, the API combined in orders the tutorials do not use (with
``round11b_struct`` and ``round11b_utils``): ``MultKAN`` widths with multiplication nodes
and ``mult_arity`` (an int, per-node lists) then ``prune``/``auto_symbolic``/formulas;
``suggest_symbolic`` with one's own lib and ranges; ``add_symbolic`` of one's own functions
(autograd, numpy, a complexity, a singularity-avoiding form) then ``fit(singularity_avoiding
=True)``; ``unfix``/``set_mode``/``remove_edge`` before a formula; a formula simplified,
rounded and evaluated on the test set."""

import numpy as np
import torch

from ._common import case, f2, rmse, small_dataset, small_kan


def _formula_rmse(model, ds, n_var, simplify=False):
    import sympy
    formula = model.symbolic_formula()[0][0]
    if simplify:
        formula = sympy.simplify(formula)
    xs = sympy.symbols(f"x_1:{n_var + 1}")
    fn = sympy.lambdify(xs, formula, "numpy")
    x = ds["test_input"].double().numpy()
    y = np.asarray(fn(*[x[:, i] for i in range(n_var)]), dtype=float) * np.ones(len(x))
    return rmse(torch.from_numpy(y)[:, None], ds["test_label"])


@case
def multkan_sum_mult_width_prune_symbolic(K):
    # width=[2,[2,1],1]: two sum nodes and one product node, then prune and auto_symbolic
    f = lambda x: x[:, [0]] * x[:, [1]] + torch.sin(x[:, [0]])  # noqa: E731
    ds = small_dataset(K, f, n=200)
    model = K.MultKAN(width=[2, [2, 1], 1], grid=5, k=3, seed=0, auto_save=True)
    model.fit(ds, opt="LBFGS", steps=20, lamb=0.001, log=100)
    model = model.prune()
    model.auto_symbolic(lib=["x", "x^2", "sin"], verbose=0)
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    return {"width": [list(w) for w in model.width], "net": rmse(model(ds["test_input"]),
            ds["test_label"]), "formula": _formula_rmse(model, ds, 2)}


@case
def mult_arity_three_int_product(K):
    # x0*x1*x2 with one product node of arity 3 (mult_arity=3, an int)
    f = lambda x: x[:, [0]] * x[:, [1]] * x[:, [2]]  # noqa: E731
    ds = small_dataset(K, f, n_var=3, n=200)
    model = K.MultKAN(width=[3, [0, 1], 1], mult_arity=3, grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=20, log=100)
    model.auto_symbolic(lib=["x", "x^2"], verbose=0)
    return {"n_mult": list(model.n_mult), "net": rmse(model(ds["test_input"]), ds["test_label"]),
            "formula": _formula_rmse(model, ds, 3)}


@case
def mult_arity_per_node_list_prune_width(K):
    # two product nodes of arities 2 and 3, given per layer and node, then prune
    f = lambda x: x[:, [0]] * x[:, [1]] + x[:, [0]] * x[:, [1]] * x[:, [2]]  # noqa: E731
    ds = small_dataset(K, f, n_var=3, n=200)
    model = K.MultKAN(width=[3, [1, 2], 1], mult_arity=[[], [2, 3], []], grid=5, k=3, seed=0,
                      auto_save=True)
    model.fit(ds, opt="LBFGS", steps=20, lamb=0.001, log=100)
    pruned = model.prune(node_th=1e-3)
    return {"before": [list(w) for w in model.width], "after": [list(w) for w in pruned.width],
            "rmse": rmse(pruned(ds["test_input"]), ds["test_label"])}


@case
def speed_fit_formula_without_symbolic(K):
    # speed() first, fit, then ask a formula of a model with no symbolic edge
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 3, 1))
    model.speed()
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    out = model.symbolic_formula()
    return {"type": type(out).__name__, "n": len(out), "rmse": rmse(model(ds["test_input"]),
                                                                    ds["test_label"])}


@case
def suggest_symbolic_own_lib_ranges_nofit(K):
    # suggest_symbolic with one's own lib, topk 2 and ranges, then fix without fitting params
    f = lambda x: torch.sin(2 * x[:, [0]]) + 0 * x[:, [1]]  # noqa: E731
    ds = small_dataset(K, f, n=200)
    model = small_kan(K, width=(2, 1))
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    out = model.suggest_symbolic(0, 0, 0, lib=["x", "x^2", "sin", "exp"], topk=2,
                                 a_range=(-5, 5), b_range=(-5, 5), verbose=False)
    r2 = model.fix_symbolic(0, 0, 0, out[0], fit_params_bool=False, verbose=False)
    return {"best": out[0], "len": len(out), "r2_none": r2 is None,
            "mask": float(model.symbolic_fun[0].mask[0, 0])}


@case
def add_symbolic_swish_c3_auto(K):
    # a torch function of one's own with complexity 3 beside the simple ones
    K.add_symbolic("swish", lambda x: x * torch.sigmoid(x), c=3)
    f = lambda x: 2 * x[:, [0]] * torch.sigmoid(2 * x[:, [0]]) + x[:, [1]]  # noqa: E731
    ds = small_dataset(K, f, n=200, ranges=[-2, 2])
    model = small_kan(K, width=(2, 1))
    model.fit(ds, opt="LBFGS", steps=20, log=100)
    model.auto_symbolic(lib=["x", "x^2", "swish"], verbose=0)
    names = model.symbolic_fun[0].funs_name[0]
    return {"names": names, "formula_has_swish": "swish" in str(model.symbolic_formula()[0][0]),
            "rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def add_symbolic_numpy_function(K):
    # a numpy-only function (np.tanh on a tensor), fixed by name on one edge
    K.add_symbolic("nptanh", lambda x: torch.as_tensor(np.tanh(np.asarray(x.detach()))), c=2)
    f = lambda x: torch.tanh(x[:, [0]]) + x[:, [1]]  # noqa: E731
    ds = small_dataset(K, f, n=200)
    model = small_kan(K, width=(2, 1))
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    r2 = model.fix_symbolic(0, 0, 0, "nptanh", verbose=False)
    model.fix_symbolic(0, 1, 0, "x", verbose=False)
    with torch.no_grad():
        err = rmse(model(ds["test_input"]), ds["test_label"])
    return {"r2": float(r2), "rmse": err}


def _users_f_inv(x, y_th):
    # the user's protected 1/x: a straight line through 0 within x_th of the pole
    x_th = 1 / y_th
    return x_th, y_th / x_th * x * (torch.abs(x) < x_th) + torch.nan_to_num(1 / x) * (torch.abs(x) >= x_th)


@case
def add_symbolic_singularity_users_inv_near_pole(K):
    # y = 1/x on x in [0.02, 1] plus data at the pole; the user's f_inv is what is evaluated
    K.add_symbolic("inv_safe", lambda x: 1 / x, c=2, fun_singularity=_users_f_inv)
    x = torch.linspace(0.02, 1.0, 120)[:, None]
    ds = {"train_input": x, "train_label": 1 / x, "test_input": x, "test_label": 1 / x}
    model = small_kan(K, width=(1, 1))
    model.fix_symbolic(0, 0, 0, "inv_safe", fit_params_bool=False, verbose=False)
    model.fit(ds, opt="LBFGS", steps=10, singularity_avoiding=True, y_th=20.0, log=100)
    near = torch.tensor([[-0.01], [0.0], [0.01], [0.5]])
    with torch.no_grad():
        y = model(near, singularity_avoiding=True, y_th=20.0).flatten()
    return {"near": [round(float(v), 3) for v in y],
            "rmse": rmse(model(ds["test_input"]), ds["test_label"]),
            "affine": [round(float(v), 3) for v in model.symbolic_fun[0].affine[0, 0]]}


@case
def add_symbolic_log_safe_symbolic_lib_fourth(K):
    # SYMBOLIC_LIB[name] = (f, sympy f, c, protected f): log with one's own floor
    import sympy

    def log_floor(x, y_th):
        x_th = torch.exp(-y_th)
        return x_th, torch.where(x < x_th, -y_th * torch.ones_like(x), torch.log(torch.clamp(x, min=x_th)))
    K.SYMBOLIC_LIB["mylog"] = (torch.log, sympy.log, 2, log_floor)
    model = small_kan(K, width=(1, 1))
    model.fix_symbolic(0, 0, 0, "mylog", fit_params_bool=False, verbose=False)
    x = torch.tensor([[-1.0], [0.0], [1e-6], [1.0], [2.0]])
    with torch.no_grad():
        y = model(x, singularity_avoiding=True, y_th=5.0).flatten()
    return {"y": [round(float(v), 4) for v in y]}


@case
def fit_singularity_after_fix_sqrt_log_inv(K):
    # fix sqrt, log and 1/x edges, then polish with singularity avoidance on valid data
    f = lambda x: torch.sqrt(x[:, [0]]) + torch.log(x[:, [1]]) + 1 / x[:, [2]]  # noqa: E731
    ds = K.create_dataset(f, n_var=3, ranges=[[0.01, 1], [0.05, 2], [0.2, 1]], train_num=200,
                          test_num=200, seed=0)
    model = small_kan(K, width=(3, 1))
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    for i, name in enumerate(["sqrt", "log", "1/x"]):
        model.fix_symbolic(0, i, 0, name, verbose=False)
    model.fit(ds, opt="LBFGS", steps=10, singularity_avoiding=True, y_th=100.0, log=100)
    return {"rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def unfix_symbolic_then_refine_then_fit(K):
    # fix an edge, change one's mind, refine the grid and train on
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 3, 1), auto_save=True)
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    model.fix_symbolic(0, 0, 0, "sin", verbose=False)
    model.unfix_symbolic(0, 0, 0)
    model = model.refine(10)
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    return {"grid": int(model.grid), "sym_mask": float(model.symbolic_fun[0].mask.sum()),
            "rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def set_mode_s_then_prune_formula(K):
    # set_mode 's' on fixed edges of the first layer, prune, then a formula
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 3, 1), auto_save=True)
    model.fit(ds, opt="LBFGS", steps=10, lamb=0.002, log=100)
    model.fix_symbolic(0, 0, 0, "sin", verbose=False)
    model.set_mode(0, 0, 0, "s")
    model = model.prune()
    model.auto_symbolic(lib=["x", "x^2", "sin", "exp"], verbose=0)
    return {"width": [list(w) for w in model.width], "formula": _formula_rmse(model, ds, 2)}


@case
def remove_edge_then_auto_symbolic_vars(K):
    # remove an input's edges by hand, then the formula should not name that input
    import sympy
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + 0 * x[:, [1]]  # noqa: E731
    ds = small_dataset(K, f, n=200)
    model = small_kan(K, width=(2, 1))
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    model.remove_edge(0, 1, 0)
    model.auto_symbolic(lib=["x", "sin"], verbose=0)
    formula = sympy.sympify(model.symbolic_formula()[0][0])
    return {"vars": sorted(str(s) for s in formula.free_symbols),
            "rmse": _formula_rmse(model, ds, 2)}


@case
def simplify_ex_round_lambdify_testset(K):
    # the formula simplified, rounded to 3 digits and evaluated on the test set
    import sympy
    f = lambda x: 2 * x[:, [0]] + x[:, [1]] ** 2  # noqa: E731
    ds = small_dataset(K, f, n=200)
    model = small_kan(K, width=(2, 1))
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    model.auto_symbolic(lib=["x", "x^2"], verbose=0)
    formula = K.ex_round(sympy.expand(sympy.simplify(model.symbolic_formula()[0][0])), 3)
    x1, x2 = sympy.symbols("x_1 x_2")
    fn = sympy.lambdify([x1, x2], formula)
    x = ds["test_input"].double().numpy()
    y = torch.from_numpy(np.asarray(fn(x[:, 0], x[:, 1]), dtype=float))[:, None]
    return {"ops": int(sympy.count_ops(formula)), "rmse": rmse(y, ds["test_label"])}
