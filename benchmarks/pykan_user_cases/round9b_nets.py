"""A ninth round, ML engineers' code (with ``round9b_loops``; ``--kinds round9b`` runs both):
a pykan ``KAN`` as one layer of a larger ``nn.Module`` — a CNN head trained through a
``DataLoader`` with ``train()``/``eval()``, a transformer-encoder head, an LSTM forecaster's
head, a two-KAN autoencoder in ``nn.Sequential``, ``BatchNorm1d``/``Dropout`` before a KAN,
tokens ``(B, T, D)`` flattened to rows, a siamese (shared) KAN, ``model.half()``, standalone
``KANLayer`` stacks with weight-decay groups by parameter name, and ``MultKAN`` imported from
its module."""

import torch
from torch import nn

from ._common import case, rmse, small_kan


def _images(n=240, seed=0):
    # 1x8x8 noise images; the label says whether the left half is brighter than the right
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 8, 8, generator=g)
    y = (x[..., :4].mean((1, 2, 3)) > x[..., 4:].mean((1, 2, 3))).long()
    return x, y


@case
def cnn_kan_head_dataloader(K):
    # Conv -> pool -> flatten -> KAN head; DataLoader, train()/eval(), zero_grad, CE
    from torch.utils.data import DataLoader, TensorDataset
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
                                          nn.AdaptiveAvgPool2d((1, 2)), nn.Flatten())
            self.head = small_kan(K, [8, 4, 2])

        def forward(self, x):
            return self.head(self.features(x))
    x, y = _images()
    net = Net()
    loader = DataLoader(TensorDataset(x[:180], y[:180]), batch_size=30, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    lossf = nn.CrossEntropyLoss()
    for _ in range(8):
        net.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = lossf(net(xb), yb)
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        out = net(x[180:])
    return {"out_shape": list(out.shape), "last_loss": loss.item(),
            "test_acc": float((out.argmax(1) == y[180:]).float().mean()),
            "head_training": net.head.training}


@case
def transformer_encoder_kan_head(K):
    # nn.TransformerEncoderLayer over tokens, mean-pooled, a KAN regression head
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(160, 6, 4, generator=g) * 2 - 1
    y = torch.sin(x[:, :, 0].sum(1, keepdim=True)) + x[:, :, 1].mean(1, keepdim=True)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=16,
                                                  dropout=0.0, batch_first=True)
            self.kan = small_kan(K, [4, 4, 1])

        def forward(self, t):
            return self.kan(self.enc(t).mean(1))
    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
    for _ in range(60):
        opt.zero_grad()
        loss = torch.mean((model(x[:120]) - y[:120]) ** 2)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        test = rmse(model(x[120:]), y[120:])
    return {"train_loss": loss.item(), "test_rmse": test}


@case
def lstm_forecaster_kan_head(K):
    # windows of a noisy sine, an LSTM, the last hidden state into a KAN; one-step forecasts
    torch.manual_seed(0)
    t = torch.arange(300, dtype=torch.float32)
    s = torch.sin(0.2 * t) + 0.05 * torch.randn(300, generator=torch.Generator().manual_seed(2))
    w = 12
    X = torch.stack([s[i:i + w] for i in range(300 - w)]).unsqueeze(-1)
    Y = s[w:].unsqueeze(-1)

    class Forecaster(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(1, 6, batch_first=True)
            self.head = small_kan(K, [6, 3, 1])

        def forward(self, x):
            out, (h, c) = self.lstm(x)
            return self.head(h[-1])
    model = Forecaster()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(X[:220]), Y[:220])
        loss.backward()
        opt.step()
    with torch.no_grad():
        test = rmse(model(X[220:]), Y[220:])
    return {"train_mse": loss.item(), "test_rmse": test}


@case
def kan_autoencoder_sequential(K):
    # encoder KAN [4,3,2] and decoder KAN [2,3,4] in nn.Sequential, MSE reconstruction
    g = torch.Generator().manual_seed(0)
    z = torch.rand(200, 2, generator=g) * 2 - 1
    x = torch.cat([z, torch.sin(z[:, :1] * 2), z[:, 1:] * z[:, :1]], 1)
    enc, dec = small_kan(K, [4, 3, 2]), small_kan(K, [2, 3, 4], seed=1)
    ae = nn.Sequential(enc, dec)
    opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
    for _ in range(80):
        opt.zero_grad()
        loss = torch.mean((ae(x[:150]) - x[:150]) ** 2)
        loss.backward()
        opt.step()
    with torch.no_grad():
        code = enc(x[150:])
        rec = rmse(ae(x[150:]), x[150:])
    return {"code_shape": list(code.shape), "train_mse": loss.item(), "test_rec_rmse": rec,
            "n_children": len(list(ae.children()))}


@case
def batchnorm_dropout_before_kan(K):
    # nn.Sequential(BatchNorm1d, Dropout, KAN) on unscaled columns; eval() turns dropout off
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(240, 3, generator=g) * torch.tensor([50.0, 0.1, 5.0]) + torch.tensor([200.0, 0.0, -3.0])
    y = torch.tanh((x[:, :1] - 200) / 50) + (x[:, 2:] + 3) / 5
    net = nn.Sequential(nn.BatchNorm1d(3), nn.Dropout(0.1), small_kan(K, [3, 4, 1]))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(80):
        net.train()
        opt.zero_grad()
        loss = torch.mean((net(x[:180]) - y[:180]) ** 2)
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        a, b = net(x[180:]), net(x[180:])
    return {"eval_deterministic": bool(torch.equal(a, b)), "test_rmse": rmse(a, y[180:])}


@case
def tokens_3d_reshape_and_direct(K):
    # a KAN on (B, T, D) tokens: reshape(-1, D) and back, and a direct 3-D call (as nn.Linear allows)
    model = small_kan(K, [4, 3, 2])
    x = torch.rand(5, 7, 4) * 2 - 1
    with torch.no_grad():
        flat = model(x.reshape(-1, 4)).reshape(5, 7, -1)
        res = {"flat_shape": list(flat.shape)}
        try:
            direct = model(x)
            res.update(direct_shape=list(direct.shape), direct_gap=rmse(direct.reshape(5, 7, -1), flat))
        except Exception as e:
            res["direct_error"] = type(e).__name__
    return res


@case
def siamese_shared_kan_contrastive(K):
    # one KAN embeds both sides of a pair; a contrastive loss on the distance of the embeddings
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(3)
    a = torch.rand(200, 2, generator=g) * 2 - 1
    b = torch.rand(200, 2, generator=g) * 2 - 1
    same = ((a[:, 0] > 0) == (b[:, 0] > 0)).float()
    emb = small_kan(K, [2, 4, 2])
    opt = torch.optim.Adam(emb.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        d = torch.norm(emb(a) - emb(b), dim=1)
        loss = torch.mean(same * d ** 2 + (1 - same) * torch.clamp(1.0 - d, min=0) ** 2)
        loss.backward()
        opt.step()
    with torch.no_grad():
        d = torch.norm(emb(a) - emb(b), dim=1)
    pred = (d < 0.5).float()
    return {"loss": loss.item(), "pair_acc": float((pred == same).float().mean()),
            "cache_rows": int(emb.cache_data.shape[0]) if emb.cache_data is not None else -1}


@case
def half_precision_forward(K):
    # model.half() for a cheaper deployment forward, float16 rows in, compared with float32
    model = small_kan(K, [2, 3, 1])
    x = torch.rand(50, 2) * 2 - 1
    with torch.no_grad():
        ref = model(x)
        h = model.half()
        try:
            out = h(x.half())
            res = {"dtype": str(out.dtype), "gap": rmse(out.float(), ref),
                   "param_dtypes": sorted({str(p.dtype) for p in h.parameters()})}
        except Exception as e:
            res = {"error": type(e).__name__}
    return res


@case
def kanlayer_stack_weight_decay_groups(K):
    # two standalone KANLayers in a module; weight decay on parameters named 'coef' only
    KANLayer = __import__(K.__name__ + ".KANLayer", fromlist=["KANLayer"]).KANLayer
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = KANLayer(in_dim=2, out_dim=4, num=5, k=3)
            self.l2 = KANLayer(in_dim=4, out_dim=1, num=5, k=3)

        def forward(self, x):
            return self.l2(self.l1(x)[0])[0]
    net = Net()
    names = [n for n, p in net.named_parameters()]
    decay = [p for n, p in net.named_parameters() if n.endswith("coef")]
    rest = [p for n, p in net.named_parameters() if not n.endswith("coef") and p.requires_grad]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-2},
                             {"params": rest, "weight_decay": 0.0}], lr=1e-2)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=g) * 2 - 1
    y = torch.sin(torch.pi * x[:, :1]) + x[:, 1:] ** 2
    for _ in range(60):
        opt.zero_grad()
        loss = torch.mean((net(x) - y) ** 2)
        loss.backward()
        opt.step()
    return {"names": names, "n_decay": len(decay), "n_rest": len(rest), "loss": loss.item()}


@case
def multkan_module_import_classifier(K):
    # ``from kan.MultKAN import MultKAN``; a [2, [2, 2], 2] net classifying XOR quadrants via fit
    MultKAN = __import__(K.__name__ + ".MultKAN", fromlist=["MultKAN"]).MultKAN
    g = torch.Generator().manual_seed(0)
    x = torch.rand(300, 2, generator=g) * 2 - 1
    y = ((x[:, 0] * x[:, 1]) > 0).long()
    ds = {"train_input": x[:200], "train_label": y[:200], "test_input": x[200:], "test_label": y[200:]}
    model = MultKAN(width=[2, [2, 2], 2], grid=5, k=3, seed=0, auto_save=False)

    def test_acc():
        return torch.mean((model(ds["test_input"]).argmax(1) == ds["test_label"]).float())
    r = model.fit(ds, opt="Adam", lr=1e-2, steps=80, batch=64, loss_fn=nn.CrossEntropyLoss(),
                  metrics=(test_acc,), update_grid=False)
    return {"width": [list(w) if isinstance(w, list) else w for w in model.width],
            "keys": sorted(r.keys()), "test_acc": float(r["test_acc"][-1])}
