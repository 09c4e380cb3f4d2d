"""``model.feature_score`` after a forward pass with gradients (Example_14 cell 4)."""
import numpy as np
import torch

from kanlab.pykan import KAN


def test_feature_score_holds_no_graph_so_a_bar_plot_takes_it():
    """Example_14's metrics run ``model(x)`` with gradients inside ``fit``; its cell 4 then
    gives ``model.feature_score`` to ``plt.bar``, which calls ``.numpy()``.  kanlab.pykan's
    scores carry no graph, so the cell runs; pykan 0.2.8's do, and it raises RuntimeError
    ("Can't call numpy() on Tensor that requires grad") on the synthetic knot data."""
    model = KAN(width=[3, 1, 4], grid=5, k=3, seed=0, auto_save=False)
    x = torch.randn(64, 3)
    model(x).sum().backward()
    scores = model.feature_score
    assert not scores.requires_grad
    assert np.asarray(scores).shape == (3,) and np.all(np.asarray(scores) >= 0)
