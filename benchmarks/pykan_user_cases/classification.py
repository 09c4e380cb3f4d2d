"""Classification: ``CrossEntropyLoss`` with class labels, ``metrics``, minibatches, hybrids."""

import numpy as np
import torch

from ._common import acc_fns, case, moons


@case
def classify_moons_ce_metrics(K):
    ds = moons()
    model = K.KAN(width=[2, 2], grid=3, k=3, seed=0)
    tr, te = acc_fns(model, ds)
    r = model.fit(ds, opt="LBFGS", steps=20, metrics=(tr, te), loss_fn=torch.nn.CrossEntropyLoss())
    return {"train_acc": float(r["train_acc"][-1]), "test_acc": float(r["test_acc"][-1]), "keys": sorted(r)}


@case
def classify_numpy_float64(K):
    # torch.from_numpy keeps float64; users feed it straight into a float32 model
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=300, n_features=5, n_informative=3, random_state=0)
    x = (x - x.mean(0)) / x.std(0)
    ds = {"train_input": torch.from_numpy(x[:200]), "test_input": torch.from_numpy(x[200:]),
          "train_label": torch.from_numpy(y[:200]).type(torch.LongTensor),
          "test_label": torch.from_numpy(y[200:]).type(torch.LongTensor)}
    model = K.KAN(width=[5, 2], grid=3, k=3, seed=0)
    tr, te = acc_fns(model, ds)
    r = model.fit(ds, opt="Adam", steps=50, lr=0.01, metrics=[tr, te], loss_fn=torch.nn.CrossEntropyLoss())
    return {"train_acc": float(r["train_acc"][-1]), "test_acc": float(r["test_acc"][-1])}


@case
def classify_iris_multiclass(K):
    from sklearn.datasets import load_iris
    x, y = load_iris(return_X_y=True)
    x = (x - x.mean(0)) / x.std(0)
    g = np.random.RandomState(0).permutation(len(x))
    x, y = torch.tensor(x[g], dtype=torch.float32), torch.tensor(y[g])
    ds = {"train_input": x[:100], "train_label": y[:100], "test_input": x[100:], "test_label": y[100:]}
    model = K.KAN(width=[4, 5, 3], grid=3, k=3, seed=1)
    tr, te = acc_fns(model, ds)
    r = model.fit(ds, opt="LBFGS", steps=15, lamb=0.001, loss_fn=torch.nn.CrossEntropyLoss(), metrics=(tr, te))
    return {"train_acc": float(r["train_acc"][-1]), "test_acc": float(r["test_acc"][-1])}


@case
def classify_adam_minibatch(K):
    ds = moons(600)
    model = K.KAN(width=[2, 4, 2], grid=3, k=3, seed=0)
    tr, te = acc_fns(model, ds)
    r = model.fit(ds, opt="Adam", lr=0.02, steps=60, batch=64, loss_fn=torch.nn.CrossEntropyLoss(),
                  metrics=[tr, te], display_metrics=["train_loss", "train_acc"])
    return {"train_acc": float(r["train_acc"][-1]), "test_acc": float(r["test_acc"][-1])}


@case
def sequential_hybrid_ce(K):
    torch.manual_seed(0)
    ds = moons(400)
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(),
                              K.KAN(width=[4, 4, 2], grid=3, k=3, seed=0, auto_save=False))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(150):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(ds["train_input"]), ds["train_label"])
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (net(ds["test_input"]).argmax(1) == ds["test_label"]).float().mean().item()
    return {"test_acc": acc}
