"""The dataset dict that :func:`kanlab.train._fit.fit` takes, checked against the model."""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["DATASET_KEYS", "check_dataset"]

DATASET_KEYS = ("train_input", "train_label", "test_input", "test_label")


def check_dataset(model, dataset: dict, any_labels: bool = False) -> None:
    """Raise a clear error unless ``dataset`` fits ``model`` (pykan's four keys).

    With ``any_labels`` (a custom ``loss_fn``) the labels need only be tensors
    with one row per input row; their shape and dtype are the loss's business.
    """
    if not isinstance(getattr(model, "n_nodes", None), list) or not hasattr(model, "layers"):
        raise TypeError(f"fit expects a kanlab.KAN, got {type(model).__name__}; wrap a single "
                        "layer as KAN([in_features, out_features])")
    if not isinstance(dataset, dict):
        raise TypeError(f"dataset must be a dict with keys {DATASET_KEYS}, got {type(dataset).__name__}")
    missing = [key for key in DATASET_KEYS if key not in dataset]
    if missing:
        raise ValueError(f"dataset lacks {missing}; expected keys {DATASET_KEYS}")
    width = model.n_nodes
    for part in ("train", "test"):
        x, y = dataset[f"{part}_input"], dataset[f"{part}_label"]
        for name, t, n in ((f"{part}_input", x, width[0]), (f"{part}_label", y, width[-1])):
            if not isinstance(t, Tensor):
                raise TypeError(f"dataset[{name!r}] must be a torch.Tensor, got {type(t).__name__}")
            if any_labels and name.endswith("label"):
                if t.dim() == 0 or t.shape[0] == 0:
                    raise ValueError(f"dataset[{name!r}] must have one row per sample, "
                                     f"got shape {tuple(t.shape)}")
                if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                    raise ValueError(f"dataset[{name!r}] holds non-finite values (NaN or inf)")
                continue
            if t.dim() != 2 or t.shape[1] != n or t.shape[0] == 0:
                raise ValueError(f"dataset[{name!r}] must have shape (N, {n}) with N > 0, "
                                 f"got {tuple(t.shape)}")
            if t.dtype != model.dtype:
                raise TypeError(f"dataset[{name!r}] has dtype {t.dtype}, the model {model.dtype}")
            if t.layout != torch.strided or t.device != model.device:
                raise TypeError(f"dataset[{name!r}] is a {t.layout} tensor on {t.device}; the "
                                f"model needs dense tensors on {model.device} (use .to_dense(), "
                                ".to(device))")
            if not bool(torch.isfinite(t).all()):
                raise ValueError(f"dataset[{name!r}] holds non-finite values (NaN or inf)")
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"{part}_input has {x.shape[0]} rows but {part}_label {y.shape[0]}")
