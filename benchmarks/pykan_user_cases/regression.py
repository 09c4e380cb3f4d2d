"""Regression: tables from scikit-learn, ``opt``/``lr``/``batch``, grid loops, penalties,
constructor options."""

import os
import tempfile

import torch

from ._common import case, f2


@case
def regression_diabetes_from_data(K):
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True)
    x = (x - x.mean(0)) / x.std(0)
    y = (y - y.mean()) / y.std()
    ds = K.create_dataset_from_data(torch.tensor(x, dtype=torch.float32),
                                    torch.tensor(y, dtype=torch.float32)[:, None], train_ratio=0.8)
    model = K.KAN(width=[10, 3, 1], grid=3, k=3, seed=0)
    r = model.fit(ds, opt="Adam", steps=100, lr=0.01, batch=64)
    return {"train_loss": r["train_loss"][-1], "test_loss": r["test_loss"][-1],
            "n_train": int(ds["train_input"].shape[0])}


@case
def regression_make_regression_dict(K):
    from sklearn.datasets import make_regression
    from sklearn.model_selection import train_test_split
    x, y = make_regression(n_samples=300, n_features=4, noise=1.0, random_state=0)
    y = y / y.std()
    a, b, c, d = train_test_split(x, y, test_size=0.25, random_state=0)
    t = lambda v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
    ds = {"train_input": t(a), "test_input": t(b), "train_label": t(c).reshape(-1, 1), "test_label": t(d).reshape(-1, 1)}
    model = K.KAN(width=[4, 4, 1], grid=5, k=3, seed=0)
    r = model.fit(ds, opt="LBFGS", steps=20)
    return {"train_loss": r["train_loss"][-1], "test_loss": r["test_loss"][-1]}


@case
def adam_lr_batch_no_grid_update(K):
    ds = K.create_dataset(f2, n_var=2, train_num=500, seed=1)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0)
    r = model.fit(ds, opt="Adam", lr=0.01, steps=200, batch=100, update_grid=False)
    return {"train_loss": r["train_loss"][-1], "test_loss": r["test_loss"][-1], "n": len(r["train_loss"])}


@case
def refine_grids_loop(K):
    ds = K.create_dataset(f2, n_var=2, train_num=500)
    model = K.KAN(width=[2, 5, 1], grid=3, k=3, seed=0)
    losses = []
    for g in [3, 10, 20]:
        if g != 3:
            model = model.refine(g)
        r = model.fit(ds, opt="LBFGS", steps=20)
        losses.append(r["test_loss"][-1])
    return {"test_losses": losses}


@case
def speed_then_fit(K):
    ds = K.create_dataset(f2, n_var=2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0)
    model = model.speed()
    r = model.fit(ds, opt="LBFGS", steps=20)
    return {"loss": r["train_loss"][-1], "out_shape": list(model(ds["test_input"]).shape)}


@case
def get_act_evaluate(K):
    ds = K.create_dataset(f2, n_var=2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0)
    model.fit(ds, opt="LBFGS", steps=10)
    model.get_act(ds["train_input"])
    a = model.acts[1].shape
    e = model.evaluate(ds)
    return {"acts1": list(a), "eval_keys": sorted(e), "test_loss": float(e["test_loss"]),
            "spline_preacts": list(model.spline_preacts[0].shape)}


@case
def multi_output_regression(K):
    f = lambda x: torch.cat([torch.sin(x[:, [0]]) * x[:, [1]], x[:, [2]] ** 2], 1)  # noqa: E731
    ds = K.create_dataset(f, n_var=3)
    model = K.KAN(width=[3, 6, 2], grid=5, k=3, seed=0)
    r = model.fit(ds, opt="LBFGS", steps=20)
    return {"test_loss": r["test_loss"][-1]}


@case
def fit_reg_options(K):
    ds = K.create_dataset(f2, n_var=2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0)
    r = model.fit(ds, opt="LBFGS", steps=20, lamb=0.002, lamb_l1=1.0, lamb_entropy=2.0, lamb_coef=0.1,
                  lamb_coefdiff=0.1, loss_fn=torch.nn.MSELoss(), reg_metric="edge_forward_sum",
                  grid_update_num=5, start_grid_update_step=0, stop_grid_update_step=10, log=5)
    return {"loss": r["train_loss"][-1], "reg": r["reg"][-1], "n": len(r["reg"])}


@case
def constructor_options(K):
    d = tempfile.mkdtemp()
    ds = K.create_dataset(lambda x: x[:, [0]] ** 2 + x[:, [1]], n_var=2, ranges=[-3, 3])
    model = K.KAN(width=[2, 3, 1], grid=5, k=3, grid_range=[-3, 3], grid_eps=1.0, base_fun="identity",
                  symbolic_enabled=False, auto_save=False, ckpt_path=d, noise_scale=0.1,
                  scale_base_mu=0.0, scale_base_sigma=1.0, affine_trainable=False, sp_trainable=True,
                  sb_trainable=True, save_act=True, sparse_init=False, seed=3)
    r = model.fit(ds, opt="LBFGS", steps=20)
    return {"loss": r["train_loss"][-1], "files": os.listdir(d)}


@case
def sklearn_wrapper_clone(K):
    from sklearn.base import BaseEstimator, RegressorMixin, clone

    class KANReg(BaseEstimator, RegressorMixin):
        def __init__(self, width=None, grid=3, k=3, steps=20, seed=0):
            self.width, self.grid, self.k, self.steps, self.seed = width, grid, k, steps, seed

        def fit(self, X, y):
            x, t = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32).reshape(-1, 1)
            ds = K.create_dataset_from_data(x, t, train_ratio=0.8, device="cpu")
            self.model_ = K.KAN(width=self.width, grid=self.grid, k=self.k, seed=self.seed, auto_save=False)
            self.model_.fit(ds, opt="LBFGS", steps=self.steps, log=0)
            return self

        def predict(self, X):
            with torch.no_grad():
                return self.model_(torch.tensor(X, dtype=torch.float32)).numpy().ravel()
    from sklearn.datasets import make_regression
    x, y = make_regression(n_samples=200, n_features=3, random_state=0)
    y = y / y.std()
    est = clone(KANReg(width=[3, 3, 1])).fit(x, y)
    return {"r2": float(est.score(x, y))}
