"""Custom code around the model: training loops over ``model.parameters()``, submodules, pykan's
``KANLayer``."""

import torch

from ._common import case, f2, rmse


@case
def custom_loop_adam_update_grid(K):
    torch.manual_seed(0)
    x = torch.linspace(-2, 2, 400).unsqueeze(1)
    y = torch.sin(2 * x) + 0.05 * torch.randn_like(x)
    model = K.KAN(width=[1, 8, 1], grid=5, k=3, seed=0, auto_save=False, device="cpu")
    model.update_grid_from_samples(x)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    lossf = torch.nn.MSELoss()
    model.train()
    for step in range(300):
        opt.zero_grad()
        loss = lossf(model(x), y)
        loss.backward()
        opt.step()
        if step % 50 == 0 and step < 200:
            model.update_grid_from_samples(x)
    model.eval()
    with torch.no_grad():
        final = lossf(model(x), y).item()
    return {"loss": final, "n_params": sum(p.numel() for p in model.parameters() if p.requires_grad)}


@case
def custom_loop_lbfgs_closure_l1(K):
    ds = K.create_dataset(f2, n_var=2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False)
    opt = torch.optim.LBFGS(model.parameters(), lr=1, history_size=10, line_search_fn="strong_wolfe")
    lossf = torch.nn.MSELoss()

    def closure():
        opt.zero_grad()
        loss = lossf(model(ds["train_input"]), ds["train_label"])
        loss = loss + 1e-5 * sum(p.abs().sum() for p in model.parameters())
        loss.backward()
        return loss
    for _ in range(20):
        opt.step(closure)
    with torch.no_grad():
        return {"test_rmse": rmse(model(ds["test_input"]), ds["test_label"])}


@case
def submodule_in_custom_module(K):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = torch.nn.Linear(6, 3)
            self.kan = K.KAN(width=[3, 5, 1], grid=5, k=3, seed=0, auto_save=False)

        def forward(self, x):
            return self.kan(torch.sigmoid(self.enc(x)))
    torch.manual_seed(0)
    x = torch.randn(256, 6)
    y = (x[:, :1] * x[:, 1:2]).tanh()
    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2)
    for _ in range(200):
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return {"loss": loss.item(), "n_modules": len(list(net.modules())) > 3}


@case
def kanlayer_custom_net(K):
    # ``from kan.KANLayer import KANLayer`` in a user's own module
    import importlib
    KANLayer = importlib.import_module(K.__name__ + ".KANLayer").KANLayer

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = KANLayer(in_dim=2, out_dim=4, num=5, k=3)
            self.l2 = KANLayer(in_dim=4, out_dim=1, num=5, k=3)

        def forward(self, x):
            y, preacts, postacts, postspline = self.l1(x)
            return self.l2(y)[0]
    torch.manual_seed(0)
    x = torch.rand(256, 2) * 2 - 1
    y = f2(x)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for step in range(200):
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        if step == 50:
            net.l1.update_grid_from_samples(x)
    return {"rmse": loss.item() ** 0.5, "postacts": list(net.l1(x)[2].shape)}
