"""kanlab.pykan's ``n_mult`` and ``n_sum`` are pykan's: the hidden levels only; kanlab's own
``KAN.n_mult`` lists every level, and the engine (pruning, plots, fits) reads ``arities``."""
import pytest
import torch

from kanlab import pykan
from kanlab.nn import KAN as NativeKAN


def test_hidden_levels_only():
    model = pykan.KAN(width=[2, [3, 2], [1, 1], 1], mult_arity=[[], [2, 3], [2], []],
                      auto_save=False)
    assert model.n_mult == [2, 1] and model.n_sum == [3, 1]
    assert NativeKAN([2, [3, 2], 1]).n_mult == [0, 2, 0]  # kanlab's own: per level
    assert model.width == [[2, 0], [3, 2], [1, 1], [1, 0]]
    assert model.width_spec == [2, [3, 2], [1, 1], 1]


def test_matches_pykan(tmp_path, monkeypatch):
    kan = pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    for width in ([2, 5, 1], [2, [3, 2], 1], [3, [2, 1], [1, 2], 2]):
        theirs = kan.KAN(width=width, auto_save=False)
        ours = pykan.KAN(width=width, auto_save=False)
        assert ours.n_mult == theirs.n_mult and ours.n_sum == theirs.n_sum, width


def test_the_engine_still_sees_the_products():
    """Pruning, plotting, swapping and a fit of a model with multiplication nodes work on the
    per-level counts (they read ``arities``)."""
    torch.manual_seed(0)
    x = torch.rand(100, 2) * 2 - 1
    ds = {"train_input": x, "train_label": x[:, [0]] * x[:, [1]],
          "test_input": x, "test_label": x[:, [0]] * x[:, [1]]}
    model = pykan.KAN(width=[2, [3, 2], 1], grid=3, seed=0, auto_save=False)
    model.fit(ds, opt="LBFGS", steps=2, log=0)
    model.auto_swap()
    small = model.prune_node(threshold=0.0)
    assert small.width == [[2, 0], [3, 2], [1, 0]]
    last = pykan.KAN(width=[2, 3, [0, 1]], grid=3, seed=0, auto_save=False)
    last.fit(ds, opt="LBFGS", steps=1, log=0)  # a product on the output: no label scale
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    model.plot()
    fig = plt.gcf()
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    import matplotlib.pyplot as plt
    plt.close("all")
    assert texts.count("×") == 2
