"""A twelfth round, a KAN inside bigger models and dtype hygiene (with ``round12b_phys``):
``nn.Sequential(nn.Linear, KAN)``, a KAN head after a small CNN on sklearn's 8x8 digits, two
KANs chained, ``KANLayer`` in a residual ``nn.Module``, a KAN autoencoder of its own class,
optimiser param groups with different learning rates, ``train()``/``eval()`` toggles,
``no_grad`` inference, ``state_dict`` round trips and ``copy.deepcopy`` of the outer model,
DataLoader loops whose last batch is smaller, gradient clipping, ``lr_scheduler`` loops
without ``fit`` (``ReduceLROnPlateau`` too), a fitted KAN frozen by ``requires_grad_(False)``,
``net.apply(init)``, and ``to(torch.float64)``/``double()``/``to('cpu')`` on the model and inputs
that require grad."""

import copy
import importlib
import io

import torch
from torch import nn

from ._common import case, f2, rmse, small_dataset, small_kan


def _digits(n=400):
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.tensor(d.images[:n], dtype=torch.float32).unsqueeze(1) / 16
    y = torch.tensor(d.target[:n], dtype=torch.long)
    return x, y


def _data(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g) * 2 - 1
    return x, f2(x)


def _adam_mse(net, x, y, lr, steps):
    """A user's plain loop: ``steps`` Adam steps on the MSE of ``net(x)``; the last loss."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        loss = torch.mean((net(x) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss

@case
def linear_then_kan_sequential_adam(K):
    net = nn.Sequential(nn.Linear(4, 2), small_kan(K, width=(2, 3, 1)))
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 4, generator=g) * 2 - 1
    y = f2(x[:, :2] + 0.5 * x[:, 2:])
    loss = _adam_mse(net, x, y, lr=0.01, steps=60)
    return {"loss": float(loss), "out": list(net(x[:3]).shape)}


class _CNNKAN(nn.Module):
    def __init__(self, K):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                  nn.Flatten())
        self.head = small_kan(K, width=(8, 10))

    def forward(self, x):
        return self.head(self.conv(x))


@case
def digits_cnn_kan_head_minibatch(K):
    torch.manual_seed(0)
    x, y = _digits()
    net = _CNNKAN(K)
    ds = torch.utils.data.TensorDataset(x[:300], y[:300])
    dl = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True,
                                     generator=torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    sizes = set()
    for _ in range(4):
        for xb, yb in dl:
            sizes.add(len(xb))
            loss = nn.functional.cross_entropy(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        acc = float((net(x[300:]).argmax(1) == y[300:]).float().mean())
    return {"sizes": sorted(sizes), "loss": float(loss), "test_acc": acc}


@case
def two_kans_chained_custom_loop(K):
    a = small_kan(K, width=(2, 3, 2))
    b = small_kan(K, width=(2, 3, 1), seed=1)
    x, y = _data()
    opt = torch.optim.Adam(list(a.parameters()) + list(b.parameters()), lr=0.01)
    for _ in range(50):
        loss = torch.mean((b(a(x)) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"loss": float(loss)}


class _ResKAN(nn.Module):
    def __init__(self, K, dim=3, n=2):
        super().__init__()
        KANLayer = importlib.import_module(K.__name__ + ".KANLayer").KANLayer
        self.inp = nn.Linear(2, dim)
        self.blocks = nn.ModuleList([KANLayer(in_dim=dim, out_dim=dim, num=5, k=3) for _ in range(n)])
        self.out = nn.Linear(dim, 1)

    def forward(self, x):
        h = self.inp(x)
        for blk in self.blocks:
            y = blk(h)[0]
            h = h + y
        return self.out(h)


@case
def kanlayer_residual_module(K):
    torch.manual_seed(0)
    net = _ResKAN(K)
    x, y = _data()
    loss = _adam_mse(net, x, y, lr=0.01, steps=60)
    n_params = sum(p.numel() for p in net.parameters() if p.requires_grad)
    return {"loss": float(loss), "n_params": n_params}


class _AE(nn.Module):
    def __init__(self, K):
        super().__init__()
        self.enc = small_kan(K, width=(4, 3, 2))
        self.dec = small_kan(K, width=(2, 3, 4), seed=1)

    def forward(self, x):
        z = self.enc(x)
        return self.dec(z), z


@case
def kan_autoencoder_class_deepcopy_state(K):
    torch.manual_seed(0)
    ae = _AE(K)
    g = torch.Generator().manual_seed(0)
    z0 = torch.rand(200, 2, generator=g) * 2 - 1
    x = torch.cat([z0, torch.sin(z0[:, :1] * 2), z0[:, 1:] ** 2], 1)
    opt = torch.optim.Adam(ae.parameters(), lr=0.01)
    for _ in range(50):
        rec, z = ae(x)
        loss = torch.mean((rec - x) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    twin = copy.deepcopy(ae)
    buf = io.BytesIO()
    torch.save(ae.state_dict(), buf)
    buf.seek(0)
    fresh = _AE(K)
    fresh.load_state_dict(torch.load(buf))
    with torch.no_grad():
        same_copy = float((twin(x)[0] - ae(x)[0]).abs().max())
        same_load = float((fresh(x)[0] - ae(x)[0]).abs().max())
    return {"loss": float(loss), "z": list(z.shape), "copy_diff": same_copy, "load_diff": same_load}


@case
def param_groups_kan_and_linear_lrs(K):
    kan = small_kan(K, width=(2, 3, 1))
    lin = nn.Linear(1, 1)
    opt = torch.optim.Adam([{"params": kan.parameters(), "lr": 0.02},
                            {"params": lin.parameters(), "lr": 0.001}])
    x, y = _data()
    for _ in range(50):
        loss = torch.mean((lin(kan(x)) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"loss": float(loss), "groups": len(opt.param_groups),
            "n_kan": len(list(kan.parameters())) > 0}


@case
def train_eval_toggle_outer_nograd(K):
    net = nn.Sequential(small_kan(K, width=(2, 3, 1)), nn.Dropout(0.1))
    x, y = _data()
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    evals = []
    for ep in range(4):
        net.train()
        for _ in range(10):
            loss = torch.mean((net(x) - y) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            evals.append(rmse(net(x), y))
    return {"first": evals[0], "last": evals[-1], "training": net.training,
            "kan_training": net[0].training}


@case
def dataloader_last_batch_smaller_steplr(K):
    model = small_kan(K, width=(2, 4, 1))
    x, y = _data(n=230)
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=50,
                                     shuffle=True, generator=torch.Generator().manual_seed(0))
    opt = torch.optim.AdamW(model.parameters(), lr=0.02)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    sizes = []
    for ep in range(8):
        for xb, yb in dl:
            sizes.append(len(xb))
            loss = torch.mean((model(xb) - yb) ** 2)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        sched.step()
    with torch.no_grad():
        r = rmse(model(x), y)
    return {"min_batch": min(sizes), "lr": opt.param_groups[0]["lr"], "rmse": r}


@case
def cosine_annealing_clip_value_loop(K):
    model = small_kan(K, width=(2, 3, 1))
    x, y = _data()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=60)
    for _ in range(60):
        loss = torch.mean((model(x) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), 0.5)
        opt.step()
        sched.step()
    return {"loss": float(loss)}


@case
def model_double_after_construction_fit(K):
    model = small_kan(K, width=(2, 3, 1)).double()
    ds = small_dataset(K, f2, n=200)
    ds = {k: v.double() for k, v in ds.items()}
    r = model.fit(ds, opt="LBFGS", steps=10, log=100)
    out = model(ds["test_input"])
    return {"dtype": str(out.dtype), "train_loss": float(r["train_loss"][-1]),
            "coef": str(model.act_fun[0].coef.dtype)}


@case
def model_to_float64_update_grid_refine(K):
    model = small_kan(K, width=(2, 3, 1)).to(torch.float64)
    ds = {k: v.double() for k, v in small_dataset(K, f2, n=200).items()}
    model.fit(ds, opt="LBFGS", steps=5, log=100, update_grid=True)
    m2 = model.refine(10)
    m2 = m2.to(torch.float64)
    r = m2.fit(ds, opt="LBFGS", steps=5, log=100)
    return {"dtype": str(m2(ds["test_input"]).dtype), "grid": str(m2.act_fun[0].grid.dtype),
            "train_loss": float(r["train_loss"][-1])}


@case
def to_cpu_returns_model(K):
    model = small_kan(K, width=(2, 3, 1))
    m = model.to("cpu")
    m2 = model.cpu()
    x, _ = _data(n=10)
    return {"same": m is model, "same_cpu": m2 is model, "type": type(m).__name__,
            "out": list(m(x).shape)}


@case
def inputs_require_grad_forward_backward(K):
    model = small_kan(K, width=(2, 3, 1))
    x, y = _data(n=50)
    x = x.requires_grad_(True)
    loss = torch.mean((model(x) - y) ** 2)
    loss.backward()
    gn = float(x.grad.norm())
    pg = sum(float(p.grad.abs().sum()) for p in model.parameters() if p.grad is not None)
    return {"x_grad_finite": bool(torch.isfinite(x.grad).all()), "x_grad_pos": gn > 0,
            "param_grad_pos": pg > 0}


@case
def float64_outer_net_with_kan(K):
    net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), small_kan(K, width=(2, 3, 1))).double()
    x, y = _data()
    x, y = x.double(), y.double()
    loss = _adam_mse(net, x, y, lr=0.01, steps=40)
    return {"dtype": str(net(x).dtype), "loss": float(loss)}


@case
def outer_state_dict_roundtrip_after_fit(K):
    # model.fit on the KAN, then save the outer net's state_dict, load into a fresh outer net
    kan = small_kan(K, width=(2, 3, 1))
    ds = small_dataset(K, f2, n=200)
    kan.fit(ds, opt="LBFGS", steps=8, log=100, update_grid=True)
    outer = nn.Sequential(nn.Identity(), kan)
    sd = copy.deepcopy(outer.state_dict())
    fresh = nn.Sequential(nn.Identity(), small_kan(K, width=(2, 3, 1)))
    missing = fresh.load_state_dict(sd)
    with torch.no_grad():
        diff = float((fresh(ds["test_input"]) - outer(ds["test_input"])).abs().max())
    return {"diff": diff, "missing": len(missing.missing_keys), "unexpected": len(missing.unexpected_keys)}


@case
def nograd_inference_varying_batches(K):
    model = small_kan(K, width=(2, 3, 1))
    x, _ = _data(n=101)
    with torch.no_grad():
        full = model(x)
        parts = torch.cat([model(x[i:i + 17]) for i in range(0, 101, 17)])
        one = model(x[:1])
    return {"diff": float((full - parts).abs().max()), "one": list(one.shape),
            "requires_grad": full.requires_grad}


@case
def deepcopy_outer_then_train_copy(K):
    net = nn.Sequential(nn.Linear(2, 2), small_kan(K, width=(2, 3, 1)))
    twin = copy.deepcopy(net)
    x, y = _data()
    loss = _adam_mse(twin, x, y, lr=0.02, steps=30)
    with torch.no_grad():
        moved = float((net(x) - twin(x)).abs().max())
    return {"loss": float(loss), "original_changed": moved > 0,
            "orig_rmse": rmse(net(x).detach(), y)}


@case
def requires_grad_false_freeze_kan_train_linear(K):
    # fit the KAN, freeze it with requires_grad_(False), train a linear calibration after it
    kan = small_kan(K, width=(2, 3, 1))
    ds = small_dataset(K, f2, n=200)
    kan.fit(ds, opt="LBFGS", steps=5, log=100)
    kan.requires_grad_(False)
    cal = nn.Linear(1, 1)
    net = nn.Sequential(kan, cal)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=0.05)
    before = [p.clone() for p in kan.parameters()]
    x, y = ds["train_input"], 2 * ds["train_label"] + 1
    for _ in range(50):
        loss = torch.mean((net(x) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    same = all(torch.equal(a, b) for a, b in zip(before, kan.parameters()))
    return {"kan_unchanged": same, "w": round(float(cal.weight), 2),
            "n_trainable": sum(p.numel() for p in net.parameters() if p.requires_grad)}


@case
def apply_init_fn_outer_net(K):
    # net.apply(init) visits the KAN's submodules; the user's init touches nn.Linear only
    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 2), small_kan(K, width=(2, 3, 1)))
    x, _ = _data(n=20)
    before = net[1](x).detach()
    net.apply(init)
    return {"kan_same": bool(torch.equal(before, net[1](x).detach())),
            "bias0": float(net[0].bias.abs().sum())}


@case
def reduce_lr_on_plateau_loop(K):
    model = small_kan(K, width=(2, 3, 1))
    x, y = _data()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2)
    for _ in range(60):
        loss = torch.mean((model(x) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step(float(loss))
    return {"loss": float(loss), "lr": opt.param_groups[0]["lr"]}
