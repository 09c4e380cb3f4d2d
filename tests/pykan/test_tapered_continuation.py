"""kanlab.pykan's ``KAN(extrapolate="tapered")``: the C² continuation whose curvature fades
beyond the grid, chosen by the user and kept (the fit's continuation choice runs only from
the default)."""
import torch

from kanlab import pykan
from kanlab.pykan._continuation import UNPLACED_CONTINUATION, chooses

F64 = torch.float64


def test_tapered_is_built_kept_by_fit_refine_prune_copy_and_not_chosen_over():
    model = pykan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False, dtype=F64,
                      extrapolate="tapered")
    assert [layer.extrapolate for layer in model.layers] == ["tapered"] * 2
    assert not chooses(model, "extended_quadratic")
    g = torch.Generator().manual_seed(0)
    x = torch.rand(100, 2, generator=g, dtype=F64) * 2 - 1
    y = torch.sin(torch.pi * x[:, :1]) + x[:, 1:] ** 2
    data = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    model.fit(data, steps=6, update_grid=True, grid_update_num=3, log=10)
    assert [layer.extrapolate for layer in model.layers] == ["tapered"] * 2
    for other in (model.refine(5), model.prune(), model.copy()):
        assert all(layer.extrapolate == "tapered" for layer in other.layers)
    assert pykan.KAN(width=[2, 1], auto_save=False).layers[0].extrapolate == UNPLACED_CONTINUATION
