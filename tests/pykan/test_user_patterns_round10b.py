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


def _model(width=(2, 3, 1), **kw):
    kw.setdefault("seed", 0)
    return K.KAN(width=list(width), grid=5, k=3, auto_save=False, **kw)


def test_caches_put_back_into_a_fresh_model_serve_its_scores():
    """A checkpoint's state and forward caches put into a fresh model, then ``attribute()``
    and ``feature_score`` (was: NoDataError, as the fresh model had seen no input): the
    batch behind ``acts`` (or ``spline_preacts`` alone) is the data, as pykan's scores come
    from those caches."""
    x = torch.rand(100, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    model = _model()
    model(x)
    model.attribute()
    for names in (("acts", "spline_preacts", "spline_postacts", "acts_scale", "edge_actscale"),
                  ("spline_preacts", "spline_postacts")):
        saved = {n: [t.detach().clone() for t in getattr(model, n)] for n in names}
        fresh = _model(seed=3)
        fresh.load_state_dict(model.state_dict())
        for n in names:
            setattr(fresh, n, saved[n])
        fresh.attribute()
        torch.testing.assert_close(fresh.feature_score, model.feature_score)
        torch.testing.assert_close(fresh.edge_scores[0], model.edge_scores[0])
    try:
        _model().attribute()
    except Exception as e:  # no data and no caches: still the clear error
        assert "no activations yet" in str(e)
    else:
        raise AssertionError("attribute() without data should raise")
