"""An eleventh round (with ``round11b_sym`` and ``round11b_struct``): ``kan.utils`` helpers
combined with a model — ``fit_params`` then ``fix_symbolic`` by hand, ``create_dataset``
with per-variable ranges and both normalisations, ``augment_input`` then prune_input,
``batch_jacobian`` of a symbolic model against the formula's gradient, ``batch_hessian`` of
a refined model, ``sparse_mask`` as a layer's mask, ``model2param`` around a fit,
``get_derivative``, ``create_dataset_from_data`` then ``speed``."""

import torch

from ._common import case, f2, rmse, small_dataset, small_kan


@case
def fit_params_then_set_affine_by_hand(K):
    # utils.fit_params on an edge's cached samples, then the affine written into the edge
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 1))
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    model(ds["train_input"])
    x, y = model.acts[0][:, 0], model.spline_postacts[0][:, 0, 0]
    params, r2 = K.utils.fit_params(x, y, torch.sin, a_range=(-4, 4), b_range=(-4, 4),
                                    grid_number=51, iteration=3, verbose=False)
    model.fix_symbolic(0, 0, 0, "sin", fit_params_bool=False, verbose=False)
    with torch.no_grad():
        model.symbolic_fun[0].affine[0, 0] = params
    model.fix_symbolic(0, 1, 0, "exp", verbose=False)
    return {"r2": round(float(r2), 3), "n_params": int(params.numel()),
            "rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def create_dataset_ranges_both_normalized(K):
    f = lambda x: x[:, [0]] * 10 + x[:, [1]]  # noqa: E731
    ds = K.create_dataset(f, n_var=2, ranges=[[-1, 1], [0, 50]], train_num=300, test_num=300,
                          normalize_input=True, normalize_label=True, seed=0)
    model = small_kan(K, width=(2, 1))
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    return {"keys": sorted(ds), "in_mean": [round(float(v), 2) for v in ds["train_input"].mean(0)],
            "lab_std": round(float(ds["train_label"].std()), 2),
            "rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def augment_input_then_prune_input(K):
    import sympy
    x1, x2 = sympy.symbols("x1 x2")
    f = lambda x: torch.sin(x[:, [0]] * x[:, [1]])  # noqa: E731
    ds = small_dataset(K, f, n=200)
    ds = K.utils.augment_input([x1, x2], [x1 * x2], ds)
    model = small_kan(K, width=(3, 1))
    model.fit(ds, opt="LBFGS", steps=15, lamb=0.01, log=100)
    model = model.prune_input(threshold=0.05)
    return {"n_in": int(model.width_in[0]), "shape": list(ds["train_input"].shape),
            "rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def batch_jacobian_symbolic_model_vs_formula(K):
    import sympy
    f = lambda x: x[:, [0]] ** 2 + torch.sin(x[:, [1]])  # noqa: E731
    ds = small_dataset(K, f, n=200)
    model = small_kan(K, width=(2, 1))
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    model.auto_symbolic(lib=["x", "x^2", "sin"], verbose=0)
    x = ds["test_input"][:50]
    jac = K.utils.batch_jacobian(model, x)
    formula = model.symbolic_formula()[0][0]
    s = sympy.symbols("x_1 x_2")
    grad = [sympy.lambdify(s, sympy.diff(formula, v)) for v in s]
    g = torch.tensor([[float(gi(*row.tolist())) for gi in grad] for row in x])
    return {"shape": list(jac.shape), "gap": rmse(jac.reshape(50, 2), g)}


@case
def batch_hessian_refined_model(K):
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 3, 1), auto_save=True)
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    model = model.refine(10)
    model.fit(ds, opt="LBFGS", steps=5, log=100)
    h = K.utils.batch_hessian(model, ds["test_input"][:20])
    return {"shape": list(h.shape), "finite": bool(torch.isfinite(h).all()),
            "sym": round(float((h - h.transpose(-1, -2)).abs().max()), 4)}


@case
def sparse_mask_as_layer_mask_then_fit(K):
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 4, 1))
    with torch.no_grad():
        model.act_fun[0].mask.data = K.utils.sparse_mask(2, 4).to(model.act_fun[0].mask.dtype)
    n_on = int(model.act_fun[0].mask.sum())
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    return {"n_on": n_on, "kept": int(model.act_fun[0].mask.sum()),
            "rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def model2param_around_fit(K):
    ds = small_dataset(K, f2, n=200)
    model = small_kan(K, width=(2, 3, 1))
    p0 = K.utils.model2param(model).clone()
    model.fit(ds, opt="LBFGS", steps=5, log=100)
    p1 = K.utils.model2param(model)
    return {"n": int(p0.numel()), "moved": bool((p1 - p0).abs().max() > 0),
            "n_params": sum(p.numel() for p in model.parameters())}


@case
def get_derivative_hessian_after_prune(K):
    ds = small_dataset(K, f2, n=100)
    model = small_kan(K, width=(2, 3, 1), auto_save=True)
    model.fit(ds, opt="LBFGS", steps=10, lamb=0.002, log=100)
    model = model.prune()
    h = K.utils.get_derivative(model, ds["train_input"], ds["train_label"], derivative="hessian")
    n = K.utils.model2param(model).numel()
    h = h.reshape(n, n)
    ev = torch.linalg.eigvalsh((h + h.T) / 2)
    return {"shape": list(h.shape), "n": int(n), "finite": bool(torch.isfinite(h).all()),
            "max_eig_pos": bool(ev[-1] > 0)}


@case
def from_data_speed_predict_refine(K):
    x = torch.rand(300, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    y = f2(x)
    ds = K.create_dataset_from_data(x, y, train_ratio=0.7)
    model = small_kan(K, width=(2, 3, 1))
    model.speed()
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    model = model.refine(10)
    model.fit(ds, opt="LBFGS", steps=5, log=100)
    return {"n_train": len(ds["train_input"]),
            "rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def ex_round_nested_sympy_functions(K):
    import sympy
    x = sympy.Symbol("x_1")
    ex = sympy.sin(1.23456 * sympy.exp(0.98765 * x) + 2.71828) + 3.14159 * sympy.sqrt(x ** 2 + 0.5)
    out = K.ex_round(ex, 2)
    return {"text": str(out)}


@case
def formula_var_symbols_real_lambdify(K):
    import sympy
    f = lambda x: 3 * x[:, [0]] - x[:, [1]] ** 2  # noqa: E731
    ds = small_dataset(K, f, n=200)
    model = small_kan(K, width=(2, 1))
    model.fit(ds, opt="LBFGS", steps=10, log=100)
    model.auto_symbolic(lib=["x", "x^2"], verbose=0)
    a, b = sympy.symbols("a b", real=True)
    formula = model.symbolic_formula(var=[a, b])[0][0]
    fn = sympy.lambdify((a, b), formula, "numpy")
    xt = ds["test_input"].double().numpy()
    y = torch.tensor(fn(xt[:, 0], xt[:, 1]))[:, None]
    return {"vars": sorted(str(s) for s in formula.free_symbols), "rmse": rmse(y, ds["test_label"])}
