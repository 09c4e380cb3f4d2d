"""A seventh round of pykan code beyond the tutorials (with ``round7_api``; ``--kinds round7``
runs both): a model's state with a user's own function on an edge (``fix_symbolic`` with a
callable, a name from ``add_symbolic``) through ``state_dict``, ``torch.save``, a best-state
``deepcopy`` and ``saveckpt``/``loadckpt``; ``affine_trainable=True``; ``fix_symbolic`` before
any forward pass (pykan issue #555); ``get_reg``/``get_params`` in a user's own loop;
``disable_symbolic_in_fit``; the initial model's outputs for pykan's constructor options."""

import copy
import io
import os

import torch

from ._common import case, f2, rmse, small_dataset


def half_sin(x):
    # a module-level function: a pickle holds it by reference
    return 0.5 * torch.sin(x)


def _edge_fixed(K, fn):
    model = K.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    model(torch.rand(50, 2) * 2 - 1)
    model.fix_symbolic(0, 0, 1, fn, fit_params_bool=False)
    return model


def _gap(a, b):
    x = torch.linspace(-1, 1, 41)[:, None].repeat(1, 2)
    x[:, 1] = x[:, 1].flip(0)
    with torch.no_grad():
        return float((a(x) - b(x)).abs().max())


def _names(model, l=0):
    return [[str(n) for n in row] for row in model.symbolic_fun[l].funs_name]


@case
def callable_edge_state_dict_fresh_model(K):
    # a lambda fixed on an edge, the state_dict loaded into a freshly built model of the same
    # width (a clone; the users' "rebuild then load_state_dict")
    model = _edge_fixed(K, lambda x: 0.5 * torch.sin(x))
    fresh = K.KAN(width=[2, 2, 1], grid=3, k=3, seed=1, auto_save=False)
    fresh.load_state_dict(model.state_dict())
    return {"gap": _gap(model, fresh), "names": _names(fresh)}


@case
def named_symbolic_state_dict_file(K):
    # add_symbolic's name on an edge; torch.save(state_dict) / torch.load / a fresh model
    K.add_symbolic("cube_half", lambda x: 0.5 * x ** 3, c=2)
    model = K.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    model(torch.rand(50, 2) * 2 - 1)
    model.fix_symbolic(0, 1, 0, "cube_half", fit_params_bool=False)
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    fresh = K.KAN(width=[2, 2, 1], grid=3, k=3, seed=1, auto_save=False)
    fresh.load_state_dict(torch.load(buf))
    return {"gap": _gap(model, fresh), "names": _names(fresh)}


@case
def callable_edge_saveckpt_loadckpt(K):
    # saveckpt / loadckpt with a module-level Python function on an edge, then a lambda
    out = {}
    for label, fn in (("module_fn", half_sin), ("lambda", lambda x: 0.5 * torch.sin(x))):
        model = _edge_fixed(K, fn)
        os.makedirs(f"./ck_{label}", exist_ok=True)  # pykan's saveckpt makes no folder
        try:
            model.saveckpt(f"./ck_{label}/m")
            out[label] = _gap(model, K.KAN.loadckpt(f"./ck_{label}/m"))
        except Exception as e:  # noqa: BLE001 (the result is which error)
            out[label] = type(e).__name__
    return out


@case
def best_state_deepcopy_with_user_edge(K):
    # an own Adam loop that keeps the best state (copy.deepcopy(state_dict())) of a model
    # with an add_symbolic edge, then loads it back into a rebuilt model
    K.add_symbolic("sq_shift", lambda x: (x + 0.1) ** 2, c=2)
    ds = small_dataset(K, f2, n=200)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    model(ds["train_input"])
    model.fix_symbolic(0, 1, 0, "sq_shift", fit_params_bool=False)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    best, best_loss = None, float("inf")
    for _ in range(30):
        opt.zero_grad()
        loss = torch.mean((model(ds["train_input"]) - ds["train_label"]) ** 2)
        loss.backward()
        opt.step()
        with torch.no_grad():
            val = rmse(model(ds["test_input"]), ds["test_label"])
        if val < best_loss:
            best, best_loss = copy.deepcopy(model.state_dict()), val
    rebuilt = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=3, auto_save=False)
    rebuilt.load_state_dict(best)
    with torch.no_grad():
        again = rmse(rebuilt(ds["test_input"]), ds["test_label"])
    return {"best": best_loss, "reloaded_equal": abs(again - best_loss) < 1e-6,
            "names": _names(rebuilt)}


@case
def affine_trainable_fit_state_keys(K):
    # affine_trainable=True: the node scales and biases train with fit and are in the state
    ds = small_dataset(K, f2, n=200)
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False, affine_trainable=True)
    r = model.fit(ds, opt="LBFGS", steps=5, update_grid=False)
    keys = model.state_dict().keys()
    return {"test_loss": r["test_loss"][-1],
            "node_scale_moved": bool((model.node_scale[0] != 1).any()),
            "keys": sorted(k for k in keys if "node_" in k)}


@case
def fix_symbolic_before_forward(K):
    # pykan issue #555: fix_symbolic (fitting) on a model that has seen no input yet, and
    # the same with fit_params_bool=False
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    out = {}
    try:
        model.fix_symbolic(0, 0, 0, "sin")
        out["fitted"] = "ok"
    except Exception as e:  # noqa: BLE001
        out["fitted"] = type(e).__name__
    try:
        model.fix_symbolic(0, 1, 0, "x^2", fit_params_bool=False)
        out["unfitted"] = "ok"
    except Exception as e:  # noqa: BLE001
        out["unfitted"] = type(e).__name__
    return out


@case
def get_reg_get_params_own_loop(K):
    # an own loop: Adam over model.get_params(), the loss plus lamb * model.get_reg(...)
    ds = small_dataset(K, f2, n=200)
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    opt = torch.optim.Adam(model.get_params(), lr=0.02)
    first_reg = None
    for _ in range(20):
        opt.zero_grad()
        pred = model(ds["train_input"])
        reg = model.get_reg("edge_forward_spline_n", 1.0, 2.0, 0.0, 0.0)
        first_reg = float(reg) if first_reg is None else first_reg
        loss = torch.mean((pred - ds["train_label"]) ** 2) + 0.01 * reg
        loss.backward()
        opt.step()
    with torch.no_grad():
        test = rmse(model(ds["test_input"]), ds["test_label"])
    return {"reg_at_init": first_reg, "test_rmse": test}


@case
def disable_symbolic_in_fit_flags(K):
    # disable_symbolic_in_fit(lamb) as pykan's fit calls it: the old flags back, and the
    # switches it sets with no symbolic edge and lamb = 0
    model = K.KAN(width=[2, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    old = model.disable_symbolic_in_fit(0.0)
    off = (bool(model.save_act), bool(model.symbolic_enabled))
    model.save_act, model.symbolic_enabled = old
    model(torch.rand(20, 2))
    model.fix_symbolic(0, 0, 0, "sin", fit_params_bool=False)
    model.disable_symbolic_in_fit(0.1)
    return {"old": [bool(v) for v in old], "off": list(off),
            "with_symbolic": bool(model.symbolic_enabled)}


@case
def init_outputs_constructor_options(K):
    # the initial model for pykan's constructor options: same seed, same outputs
    x = torch.linspace(-1, 1, 30)[:, None] * torch.tensor([[1.0, -0.5, 0.8]])
    out = {}
    for label, kw in (("default", {}),
                      ("grid_range", {"grid_range": [-2, 3], "grid_eps": 1.0}),
                      ("scales", {"noise_scale": 0.1, "scale_base_mu": 0.2,
                                  "scale_base_sigma": 0.5}),
                      ("identity_base", {"base_fun": "identity", "k": 2, "grid": 4})):
        model = K.KAN(width=[3, 4, 2], seed=7, auto_save=False, **kw)
        with torch.no_grad():
            y = model(x)
        out[label] = [float(y.sum()), float(y.abs().max())]
    return out
