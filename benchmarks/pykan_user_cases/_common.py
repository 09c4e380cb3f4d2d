"""The registry and data helpers that the case modules share."""

import contextlib
import io

import numpy as np
import torch

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def quiet(fn, *a, **kw):
    """``fn(*a, **kw)`` with its printing swallowed (pykan's and kanlab.pykan's fits print)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*a, **kw)


def small_kan(K, width=(2, 3, 1), **kw):
    """``K.KAN`` of ``width`` on grid 5, k 3, seed 0 and without pykan's auto-save, unless
    ``kw`` says otherwise."""
    kw.setdefault("grid", 5)
    kw.setdefault("k", 3)
    kw.setdefault("seed", 0)
    kw.setdefault("auto_save", False)
    return K.KAN(width=list(width), **kw)


def f2(x):
    return torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)


def rmse(a, b):
    return float(torch.sqrt(torch.mean((a.double() - b.double()) ** 2)))


def small_dataset(K, f, n_var=2, n=300, **kw):
    """``K.create_dataset`` of ``f`` with ``n`` train and ``n`` test rows, seed 0."""
    return K.create_dataset(f, n_var=n_var, train_num=n, test_num=n, seed=0, **kw)


def holdout_rmse(model, ds):
    with torch.no_grad():
        return rmse(model(ds["test_input"]), ds["test_label"])


def moons(n=400, seed=0):
    from sklearn.datasets import make_moons
    x, y = make_moons(n_samples=n, noise=0.1, random_state=seed)
    x = torch.from_numpy(x).float()
    y = torch.from_numpy(y).long()
    h = n // 2
    return {"train_input": x[:h], "train_label": y[:h], "test_input": x[h:], "test_label": y[h:]}


def acc_fns(model, ds):
    def train_acc():
        return torch.mean((torch.argmax(model(ds["train_input"]), dim=1) == ds["train_label"]).float())

    def test_acc():
        return torch.mean((torch.argmax(model(ds["test_input"]), dim=1) == ds["test_label"]).float())
    return train_acc, test_acc


def split(x, y, n_train):
    return {"train_input": x[:n_train], "train_label": y[:n_train],
            "test_input": x[n_train:], "test_label": y[n_train:]}


def argmax_acc(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def tensor_dataset(xtr, ytr, xte, yte, label_dtype=torch.float32):
    """pykan's dataset dict from array-likes: float32 inputs, labels as ``label_dtype``."""
    f = lambda a, d=torch.float32: torch.tensor(np.asarray(a), dtype=d)  # noqa: E731
    return {"train_input": f(xtr), "train_label": f(ytr, label_dtype),
            "test_input": f(xte), "test_label": f(yte, label_dtype)}


def sklearn_split(x, y, seed=0, test_size=0.3, stratify=False):
    """scikit-learn's ``train_test_split`` (seeded; stratified on ``y`` if asked)."""
    from sklearn.model_selection import train_test_split
    return train_test_split(x, y, test_size=test_size, random_state=seed,
                            stratify=y if stratify else None)
