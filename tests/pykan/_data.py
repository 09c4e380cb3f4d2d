"""The small dataset several kanlab.pykan tests fit: ``sin(πx₀) + x₁²`` on ``[-1, 1]²``."""
from __future__ import annotations

import torch


def sin_square_dataset(n: int = 64, seed: int = 0) -> dict:
    """pykan's dataset dict: ``n`` training and ``n`` test rows of ``sin(πx₀) + x₁²``."""
    g = torch.Generator().manual_seed(seed)
    x = 2 * torch.rand(2 * n, 2, generator=g) - 1
    y = torch.sin(torch.pi * x[:, :1]) + x[:, 1:] ** 2
    return {"train_input": x[:n], "train_label": y[:n], "test_input": x[n:],
            "test_label": y[n:]}
