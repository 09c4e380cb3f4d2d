"""Formulas beyond the tutorial's: ``auto_symbolic``'s trade-off knobs, a user function in the
library, fixing and unfixing, normalisers, rounding, ``lambdify`` and the symbolic branch's
singularities."""

import numpy as np
import torch

from ._common import case, rmse


def _fit(K, f, width, n_var, steps=20, **ds_kw):
    ds = K.create_dataset(f, n_var=n_var, train_num=300, test_num=300, seed=0, **ds_kw)
    model = K.KAN(width=width, grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=steps)
    return model, ds


@case
def auto_symbolic_weight_simple_r2_threshold(K):
    f = lambda x: torch.sin(2 * x[:, [0]]) + x[:, [1]] ** 3  # noqa: E731
    model, ds = _fit(K, f, [2, 1], 2)
    model.auto_symbolic(lib=["x", "x^2", "x^3", "sin", "tanh", "exp"], weight_simple=0.5,
                        r2_threshold=0.9, verbose=0)
    r = model.fit(ds, opt="LBFGS", steps=10)
    ex = model.symbolic_formula()[0][0]
    return {"formula": str(K.ex_round(ex, 2)), "loss": r["train_loss"][-1]}


@case
def add_symbolic_bessel_j0(K):
    K.add_symbolic("J0", torch.special.bessel_j0, c=1)
    f = lambda x: torch.special.bessel_j0(4 * x[:, [0]])  # noqa: E731
    model, ds = _fit(K, f, [1, 1], 1)
    best = model.suggest_symbolic(0, 0, 0, lib=["J0", "sin", "x^2", "exp"], topk=3, verbose=False)
    r2 = model.fix_symbolic(0, 0, 0, "J0", verbose=False)
    r = model.fit(ds, opt="LBFGS", steps=5)
    return {"best": best[0], "r2": float(r2), "loss": r["train_loss"][-1],
            "formula_has_J0": "J0" in str(model.symbolic_formula()[0][0])}


@case
def fix_unfix_restores_spline(K):
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2  # noqa: E731
    model, ds = _fit(K, f, [2, 1], 2)
    x = ds["test_input"]
    before = model(x).detach()
    model.fix_symbolic(0, 0, 0, "x", verbose=False)
    fixed = model(x).detach()
    model.unfix_symbolic(0, 0, 0)
    after = model(x).detach()
    return {"fix_changed": bool((fixed - before).abs().max() > 1e-3),
            "unfix_restores": float((after - before).abs().max())}


@case
def formula_with_normalizers(K):
    f = lambda x: 3 * x[:, [0]] + x[:, [1]] ** 2 + 1  # noqa: E731
    ds = K.create_dataset(f, n_var=2, ranges=[[0, 4], [-2, 2]], train_num=300, test_num=300, seed=0)
    xm, xs = ds["train_input"].mean(0), ds["train_input"].std(0)
    ym, ys = ds["train_label"].mean(0), ds["train_label"].std(0)
    norm = {"train_input": (ds["train_input"] - xm) / xs, "test_input": (ds["test_input"] - xm) / xs,
            "train_label": (ds["train_label"] - ym) / ys, "test_label": (ds["test_label"] - ym) / ys}
    model = K.KAN(width=[2, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(norm, opt="LBFGS", steps=20)
    model.auto_symbolic(lib=["x", "x^2"], verbose=0)
    model.fit(norm, opt="LBFGS", steps=5)
    import sympy
    a, b = sympy.symbols("a b")
    ex = model.symbolic_formula(var=[a, b], normalizer=[xm.tolist(), xs.tolist()],
                                output_normalizer=[ym.tolist(), ys.tolist()])[0][0]
    fn = sympy.lambdify((a, b), ex, "numpy")
    xt = ds["test_input"].double().numpy()
    pred = torch.tensor(np.asarray(fn(xt[:, 0], xt[:, 1]), dtype=np.float64) * np.ones(len(xt)))
    return {"formula": str(K.ex_round(sympy.expand(ex), 2)), "raw_rmse": rmse(pred, ds["test_label"][:, 0])}


@case
def ex_round_lambdify_torch(K):
    import sympy
    f = lambda x: torch.exp(-x[:, [0]] ** 2 + 0.5 * x[:, [1]])  # noqa: E731
    model, ds = _fit(K, f, [2, 1, 1], 2, steps=30)
    model.fix_symbolic(0, 0, 0, "x^2", verbose=False)
    model.fix_symbolic(0, 1, 0, "x", verbose=False)
    model.fix_symbolic(1, 0, 0, "exp", verbose=False)
    model.fit(ds, opt="LBFGS", steps=10)
    ex = K.ex_round(model.symbolic_formula()[0][0], 3)
    xs = sympy.symbols("x_1 x_2")
    fn = sympy.lambdify(xs, ex, "numpy")
    xt = ds["test_input"].double().numpy()
    pred = torch.tensor(fn(xt[:, 0], xt[:, 1]) * np.ones(len(xt)))
    return {"formula": str(ex), "formula_rmse": rmse(pred, ds["test_label"][:, 0]),
            "model_rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def singularity_avoiding_forward(K):
    f = lambda x: 1 / (x[:, [0]] + 1.5) + x[:, [1]]  # noqa: E731
    model, ds = _fit(K, f, [2, 1], 2, steps=10)
    model.fix_symbolic(0, 0, 0, "1/x", verbose=False)
    x = torch.tensor([[-1.5, 0.0], [0.0, 0.0], [0.5, 0.5]])
    plain = model(x).detach()
    safe = model(x, singularity_avoiding=True, y_th=10.).detach()
    r = model.fit(ds, opt="LBFGS", steps=5, singularity_avoiding=True, y_th=100.)
    return {"plain_finite": bool(torch.isfinite(plain).all()), "safe_finite": bool(torch.isfinite(safe).all()),
            "safe_bounded": float(safe.abs().max()) < 1e3, "loss": r["train_loss"][-1]}


def _formula_vs_forward(K, model, x):
    """The largest gap between the model's symbolic formula, evaluated by sympy, and its forward."""
    import sympy
    ex = model.symbolic_formula()[0][0]
    xs = sympy.symbols(f"x_1:{x.shape[1] + 1}")
    fn = sympy.lambdify(xs, ex, "numpy")
    xn = x.double().numpy()
    pred = torch.tensor(np.asarray(fn(*[xn[:, i] for i in range(xn.shape[1])]), dtype=np.float64)
                        * np.ones(len(xn)))
    return float((pred - model(x).detach().double()[:, 0]).abs().max())


@case
def mult_arity_formula_matches_forward(K):
    # pykan issue #404: with mult_arity > 2 the formula and the forward disagree
    f = lambda x: x[:, [0]] * x[:, [1]] * x[:, [2]] + x[:, [3]]  # noqa: E731
    ds = K.create_dataset(f, n_var=4, train_num=300, test_num=300, seed=0)
    model = K.KAN(width=[4, [1, 1], 1], mult_arity=3, grid=5, k=3, seed=0, auto_save=False)
    r = model.fit(ds, opt="LBFGS", steps=20)
    model.auto_symbolic(lib=["x", "x^2", "sin", "exp"], verbose=0)
    return {"loss": r["train_loss"][-1], "formula_gap": _formula_vs_forward(K, model, ds["test_input"][:100])}


@case
def auto_symbolic_after_other_forward(K):
    # pykan issue #508: a forward pass on other data before auto_symbolic changes the formula
    f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2  # noqa: E731
    model, ds = _fit(K, f, [2, 1], 2)
    torch.manual_seed(1)
    model(torch.rand(500, 2) * 2 - 1)
    model.auto_symbolic(lib=["x", "x^2", "sin", "exp"], verbose=0)
    ex = model.symbolic_formula()[0][0]
    return {"formula": str(K.ex_round(ex, 2)), "formula_gap": _formula_vs_forward(K, model, ds["test_input"])}


@case
def add_symbolic_logit_auto(K):
    # a user function defined only on (0, 1), in the library auto_symbolic searches
    K.add_symbolic("Logit", torch.special.logit, c=3)
    f = lambda x: torch.special.logit(0.4 * x[:, [0]] + 0.5) + x[:, [1]] ** 2  # noqa: E731
    model, ds = _fit(K, f, [2, 1], 2)
    model.auto_symbolic(lib=["x", "x^2", "sin", "Logit"], verbose=0)
    r = model.fit(ds, opt="LBFGS", steps=5)
    ex = model.symbolic_formula()[0][0]
    return {"formula": str(K.ex_round(ex, 2)), "loss": r["train_loss"][-1],
            "finite": bool(torch.isfinite(model(ds["test_input"])).all())}
