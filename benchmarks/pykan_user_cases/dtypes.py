"""Devices and dtypes: ``.to``, float64 models, float64 inputs, ``torch.set_default_dtype``."""

import torch

from ._common import case, f2


@case
def device_to_cpu(K):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    ds = K.create_dataset(f2, n_var=2, device=device)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, device=device)
    model = model.to(device)
    model.to("cpu")
    model.cpu()
    r = model.fit(ds, opt="LBFGS", steps=10)
    return {"loss": r["train_loss"][-1], "device": str(next(model.parameters()).device)}


@case
def float64_input_float32_model(K):
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0)
    x = torch.rand(50, 2, dtype=torch.float64) * 2 - 1
    y = model(x)
    return {"dtype": str(y.dtype), "shape": list(y.shape), "close": bool(torch.allclose(y.float(), model(x.float()), atol=1e-5))}


@case
def model_to_float64(K):
    ds = K.create_dataset(f2, n_var=2)
    ds = {k: v.double() for k, v in ds.items()}
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False).to(torch.float64)
    r = model.fit(ds, opt="LBFGS", steps=20)
    return {"loss": r["train_loss"][-1], "out_dtype": str(model(ds["test_input"]).dtype)}


@case
def default_dtype_float64(K):
    torch.set_default_dtype(torch.float64)
    ds = K.create_dataset(f2, n_var=2)
    model = K.KAN(width=[2, 5, 1], grid=5, k=3, seed=0)
    r = model.fit(ds, opt="LBFGS", steps=20)
    return {"loss": r["train_loss"][-1], "out_dtype": str(model(ds["test_input"]).dtype),
            "data_dtype": str(ds["train_input"].dtype)}
