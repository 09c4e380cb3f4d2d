"""The model as an object: checkpoints, ``state_dict``, copies, ``width``, train/eval modes,
one-row inference."""

import os
import tempfile

import torch

from ._common import case, f2, rmse


@case
def saveckpt_loadckpt(K):
    ds = K.create_dataset(f2, n_var=2)
    d = tempfile.mkdtemp()
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, ckpt_path=d)
    model.fit(ds, opt="LBFGS", steps=10)
    path = os.path.join(d, "mine")
    model.saveckpt(path)
    m2 = K.KAN.loadckpt(path)
    return {"same": rmse(model(ds["test_input"]), m2(ds["test_input"])), "files": sorted(os.listdir(d))[:4]}


@case
def state_dict_roundtrip(K):
    ds = K.create_dataset(f2, n_var=2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=10)
    p = os.path.join(tempfile.mkdtemp(), "m.pt")
    torch.save(model.state_dict(), p)
    m2 = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=1, auto_save=False)
    m2.load_state_dict(torch.load(p))
    m2.eval()
    with torch.no_grad():
        d = rmse(model(ds["test_input"]), m2(ds["test_input"]))
    return {"diff": d, "n_keys": len(model.state_dict())}


@case
def deepcopy_best_model(K):
    import copy
    ds = K.create_dataset(f2, n_var=2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    best, best_loss = None, 1e9
    for _ in range(3):
        r = model.fit(ds, opt="Adam", lr=0.02, steps=30)
        if r["test_loss"][-1] < best_loss:
            best, best_loss = copy.deepcopy(model), r["test_loss"][-1]
    with torch.no_grad():
        return {"best": best_loss, "check": rmse(best(ds["test_input"]), ds["test_label"])}


@case
def rebuild_from_width_attr(K):
    # configs saved as model.width and rebuilt (then the weights loaded)
    m = K.KAN(width=[2, [3, 2], 1], grid=3, k=3, seed=0, auto_save=False)
    m2 = K.KAN(width=m.width, grid=3, k=3, seed=1, auto_save=False)
    m2.load_state_dict(m.state_dict())
    x = torch.rand(20, 2) * 2 - 1
    with torch.no_grad():
        return {"width": str(m.width), "diff": rmse(m(x), m2(x))}


@case
def width_pairs_multkan(K):
    f = lambda x: x[:, [0]] * x[:, [1]]  # noqa: E731
    ds = K.create_dataset(f, n_var=2)
    model = K.KAN(width=[[2, 0], [2, 2], [1, 0]], grid=5, k=3, seed=0)
    r = model.fit(ds, opt="LBFGS", steps=20)
    m3 = K.MultKAN(width=[3, [2, 1], 1], mult_arity=3, grid=3, k=3, seed=0)
    out = m3(torch.rand(10, 3))
    m4 = K.KAN(width=[2, [5, 3], 1], grid=3, k=3, seed=0)
    return {"loss": r["train_loss"][-1], "width": str(model.width), "m3_out": list(out.shape),
            "m4_width": str(m4.width)}


@case
def single_sample_inference(K):
    model = K.KAN(width=[3, 4, 2], grid=3, k=3, seed=0, auto_save=False)
    with torch.no_grad():
        y1 = model(torch.tensor([[0.1, 0.2, 0.3]]))
        yb = model(torch.tensor([[0.1, 0.2, 0.3]] * 4))
    return {"shape": list(y1.shape), "same": rmse(y1, yb[:1])}


@case
def train_eval_mode(K):
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    a = model.train()
    t1 = model.training
    b = model.eval()
    t2 = model.training
    model.train(False)
    t3 = model.training
    model.train(True)
    return {"train_returns_self": a is model, "eval_returns_self": b is model, "flags": [t1, t2, t3, model.training]}
