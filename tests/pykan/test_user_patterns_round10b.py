"""Patterns from the tenth round of pykan code, research code on pykan's internals
(``benchmarks/pykan_user_cases/round10b_layers.py``, ``round10b_model.py``): networks of
``KANLayer`` seeded once, forward caches copied into a loaded model, per-edge modes."""
import torch

import kanlab.pykan as K
from kanlab.pykan.KANLayer import KANLayer


def test_a_kanlayer_draws_only_pykans_numbers_from_the_global_generator():
    """``torch.manual_seed(0)`` then two layers (a recurrent cell's): the second layer and what
    comes after are pykan's too (was: the evaluator's own draws moved the generator on)."""
    torch.manual_seed(0)
    KANLayer(in_dim=3, out_dim=2, num=5, k=3)
    after = torch.rand(4)
    g = torch.Generator().manual_seed(0)
    torch.rand(6, 3, 2, generator=g)  # pykan's draws: the noise at the G + 1 points,
    torch.rand(3, 2, generator=g)  # then the base weights
    assert torch.equal(after, torch.rand(4, generator=g))
    for kw in ({"sparse_init": True}, {"base_fun": torch.nn.Identity(), "scale_base_sigma": 0.0}):
        torch.manual_seed(1)
        KANLayer(in_dim=2, out_dim=3, num=4, k=2, **kw)
        g = torch.Generator().manual_seed(1)
        torch.rand(5, 2, 3, generator=g)
        torch.rand(2, 3, generator=g)
        assert torch.equal(torch.rand(3), torch.rand(3, generator=g))

