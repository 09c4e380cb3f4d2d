"""pykan's ``LBFGS`` signature on :class:`torch.optim.LBFGS`."""
from __future__ import annotations

import torch

__all__ = ["LBFGS"]


class LBFGS(torch.optim.LBFGS):
    """:class:`torch.optim.LBFGS` that also takes pykan's ``tolerance_ys`` (curvature pairs with
    ``y·s`` at or below it are skipped by torch's own check, so it is accepted and unused)."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, tolerance_ys=1e-32, history_size=100,
                 line_search_fn=None):
        super().__init__(params, lr=lr, max_iter=max_iter, max_eval=max_eval,
                         tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                         history_size=history_size, line_search_fn=line_search_fn)
