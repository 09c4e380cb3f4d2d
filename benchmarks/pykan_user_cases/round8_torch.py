"""An eighth round of pykan code beyond the tutorials (with ``round8_api``; ``--kinds round8``
runs both): what torch users do to a pykan model as to any ``nn.Module`` — an own L1 term over
``model.modules()`` that are ``KANLayer``s, a forward hook on ``act_fun[0]``,
``parameters_to_vector``/``vector_to_parameters``, ``torch.jit.trace``, a frozen KAN feeding a
trained head, float64 labels beside float32 inputs, integer columns from a table, an empty
batch, an ensemble in an ``nn.ModuleList``, ``fit(steps=1)`` in an outer loop, and
``load_state_dict(strict=False)`` with keys dropped."""

import warnings

import numpy as np
import torch

from ._common import case, f2, rmse, small_dataset


def _model(K, width=(2, 3, 1), **kw):
    kw.setdefault("grid", 5)
    return K.KAN(width=list(width), k=3, seed=0, auto_save=False, **kw)


@case
def modules_isinstance_kanlayer_l1(K):
    # an own loop whose L1 term walks model.modules() for KANLayer (``from kan.KANLayer import
    # KANLayer``) and adds |coef|.mean() of each, as efficient-KAN-style code does for pykan
    KANLayer = __import__(K.__name__ + ".KANLayer", fromlist=["KANLayer"]).KANLayer
    ds = small_dataset(K, f2, n=200)
    model = _model(K)
    found = [m for m in model.modules() if isinstance(m, KANLayer)]

    def l1():
        total = torch.zeros(())
        for m in model.modules():
            if isinstance(m, KANLayer):
                total = total + torch.abs(m.coef).mean()
        return total
    at_init = float(l1())
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(40):
        opt.zero_grad()
        loss = torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2) + 0.1 * l1()
        loss.backward()
        opt.step()
    shapes = [list(m.coef.shape) for m in found]
    return {"n_found": len(found), "coef_shapes": shapes, "l1_at_init": at_init,
            "l1_after": float(l1()), "test_rmse": rmse(model(ds["test_input"]).detach(), ds["test_label"])}


@case
def act_fun_forward_hook(K):
    # a forward hook on the first spline layer to read its output (feature extraction)
    model = _model(K)
    seen = []

    def hook(module, inputs, output):
        y = output[0] if isinstance(output, tuple) else output
        seen.append(tuple(y.shape))
    handle = model.act_fun[0].register_forward_hook(hook)
    x = torch.rand(16, 2) * 2 - 1
    with torch.no_grad():
        model(x)
        model(x[:5])
    handle.remove()
    with torch.no_grad():
        model(x)
    return {"calls": len(seen), "shapes": [list(s) for s in seen]}


@case
def layer_call_tuple_unpack(K):
    # y, preacts, postacts, postspline = model.act_fun[l](x) and y, postacts = symbolic_fun[l](x)
    # on a batch of 4 rows (as many rows as a tensor result would unpack into)
    model = _model(K)
    x = torch.rand(4, 2) * 2 - 1
    with torch.no_grad():
        model(x)
        model.fix_symbolic(0, 1, 2, "sin", fit_params_bool=False, verbose=False)
        y, preacts, postacts, postspline = model.act_fun[0](x)
        ys, post_sym = model.symbolic_fun[0](x)
        total = model.act_fun[1](y + ys)[0]
        direct = model(x)
    return {"shapes": [list(t.shape) for t in (y, preacts, postacts, postspline, ys, post_sym)],
            "sum_gap": float((postacts.sum(2) - y).abs().max()),
            "sym_edge": float(post_sym[:, 2, 1].abs().sum() > 0), "chain_gap": rmse(total, direct)}


@case
def vector_to_parameters_perturb(K):
    # flatten the parameters (SWAG / evolution strategies / Laplace code), perturb, restore
    from torch.nn.utils import parameters_to_vector, vector_to_parameters
    ds = small_dataset(K, f2, n=100)
    model = _model(K)
    params = [p for p in model.parameters() if p.requires_grad]
    theta = parameters_to_vector(params).detach().clone()
    x = ds["test_input"]
    with torch.no_grad():
        y0 = model(x)
        g = torch.Generator().manual_seed(0)
        vector_to_parameters(theta + 0.05 * torch.randn(theta.shape, generator=g), params)
        y1 = model(x)
        vector_to_parameters(theta, params)
        y2 = model(x)
    return {"changed": rmse(y1, y0) > 1e-4, "restored_gap": rmse(y2, y0)}


@case
def jit_trace_inference(K):
    # torch.jit.trace for deployment, then the traced module on new rows
    ds = small_dataset(K, f2, n=100)
    model = _model(K)
    model.fit(ds, opt="LBFGS", steps=3, update_grid=False)
    model.eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, ds["train_input"][:8], check_trace=False)
        gap = rmse(traced(ds["test_input"]), model(ds["test_input"]))
    return {"traced_gap": gap}


@case
def frozen_kan_linear_head(K):
    # a trained KAN frozen with requires_grad_(False) as a feature map; a Linear head trained on it
    ds = small_dataset(K, lambda x: torch.cat([torch.sin(2 * x[:, [0]]), x[:, [1]] ** 2], 1), n=200)
    body = _model(K, width=(2, 4, 3))
    body.requires_grad_(False)
    head = torch.nn.Linear(3, 1)
    target = ds["train_label"].sum(1, keepdim=True)
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    with torch.no_grad():
        feat0 = body(ds["train_input"])
    for _ in range(50):
        opt.zero_grad()
        loss = torch.mean((head(body(ds["train_input"])) - target) ** 2)
        loss.backward()
        opt.step()
    with torch.no_grad():
        feat1 = body(ds["train_input"])
    grads = [p.grad for p in body.parameters()]
    return {"body_unchanged": bool(torch.equal(feat0, feat1)),
            "body_grads_none": all(g is None for g in grads), "loss": loss.item()}


@case
def float64_labels_float32_inputs_fit(K):
    # inputs cast to float32 for the model, labels left float64 from numpy (y.values[:, None])
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 2))
    y = (np.sin(np.pi * X[:, 0]) + X[:, 1] ** 2)[:, None]
    ds = {"train_input": torch.tensor(X[:200], dtype=torch.float32), "train_label": torch.from_numpy(y[:200]),
          "test_input": torch.tensor(X[200:], dtype=torch.float32), "test_label": torch.from_numpy(y[200:])}
    model = _model(K)
    r = model.fit(ds, opt="LBFGS", steps=10)
    with torch.no_grad():
        out = model(ds["test_input"])
    return {"test_loss": float(r["test_loss"][-1]), "out_dtype": str(out.dtype),
            "label_dtype": str(ds["train_label"].dtype)}


@case
def integer_table_columns_forward(K):
    # torch.tensor(df.values) of integer columns gives int64 inputs; the user's first call
    import pandas as pd
    df = pd.DataFrame({"rooms": [1, 2, 3, 4, 2, 3], "floor": [0, 1, 1, 2, 0, 3]})
    x = torch.tensor(df.values)
    model = _model(K, grid_range=[0, 4])
    with torch.no_grad():
        ref = model(x.float())
        try:
            out = model(x)
            res = {"int_ok": True, "gap": rmse(out.float(), ref), "dtype": str(out.dtype)}
        except Exception as e:
            res = {"int_ok": False, "error": type(e).__name__}
    return res


@case
def empty_batch_forward(K):
    # the last batch of a filtered DataLoader can be empty: model(x[:0])
    model = _model(K)
    x = torch.rand(10, 2)
    with torch.no_grad():
        out = model(x[:0])
        after = model(x)
    return {"shape": list(out.shape), "finite_after": bool(torch.isfinite(after).all())}


@case
def modulelist_ensemble_seeds(K):
    # five seeds in an nn.ModuleList, one Adam over all, the ensemble mean as the prediction
    ds = small_dataset(K, f2, n=200)
    models = torch.nn.ModuleList([K.KAN(width=[2, 3, 1], grid=5, k=3, seed=s, auto_save=False)
                                  for s in range(3)])
    with torch.no_grad():
        init = [m(ds["test_input"]) for m in models]
    opt = torch.optim.Adam(models.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        pred = torch.stack([m(ds["train_input"]) for m in models]).mean(0)
        loss = torch.mean((pred - ds["train_label"]) ** 2)
        loss.backward()
        opt.step()
    with torch.no_grad():
        test = torch.stack([m(ds["test_input"]) for m in models]).mean(0)
    return {"seeds_differ": rmse(init[0], init[1]) > 1e-3,
            "n_params": sum(p.numel() for p in models.parameters() if p.requires_grad),
            "test_rmse": rmse(test, ds["test_label"])}


@case
def fit_one_step_outer_loop(K):
    # fit(steps=1) called in the user's own epoch loop (logging, early stopping)
    ds = small_dataset(K, f2, n=200)
    model = _model(K)
    losses = []
    for epoch in range(10):
        r = model.fit(ds, opt="LBFGS", steps=1)
        losses.append(float(r["test_loss"][0]))
    return {"first": losses[0], "last": losses[-1], "best": min(losses)}


@case
def load_state_dict_strict_false(K):
    # a state dict with some keys dropped loaded with strict=False; the report users print
    ds = small_dataset(K, f2, n=100)
    src = _model(K)
    src.fit(ds, opt="LBFGS", steps=3, update_grid=False)
    sd = {k: v for k, v in src.state_dict().items() if "symbolic" not in k}
    dst = _model(K)
    res = dst.load_state_dict(sd, strict=False)
    with torch.no_grad():
        gap = rmse(dst(ds["test_input"]), src(ds["test_input"]))
    return {"n_missing": len(res.missing_keys), "n_unexpected": len(res.unexpected_keys),
            "missing_are_symbolic": all("symbolic" in k for k in res.missing_keys), "gap": gap}
