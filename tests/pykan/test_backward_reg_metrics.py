"""``reg_metric='edge_backward'`` / ``'node_backward'`` are pykan 0.2.8's: the attribution
scores of the edges, and of every node's inputs (they were ``edge_forward_spline_u``'s
spreads).  pykan is the oracle for the value and its gradient (it runs in a temporary
directory)."""
import pytest
import torch

from kanlab import pykan


def _perturbed(model, g):
    with torch.no_grad():
        for layer in model.act_fun:
            layer.coef.add_(torch.randn(layer.coef.shape, generator=g) * 0.5)
    return model


@pytest.mark.parametrize("width", [[2, 5, 1], [2, [3, 2], 2], [3, 4, 3, 1]])
@pytest.mark.parametrize("metric", ["edge_backward", "node_backward"])
def test_value_and_gradient_match_pykan(width, metric, tmp_path, monkeypatch):
    kan = pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, width[0], generator=g) * 2 - 1
    width = [list(w) if isinstance(w, list) else w for w in width]  # pykan edits its argument
    theirs = _perturbed(kan.KAN(width=width, grid=3, seed=0, auto_save=False), g)
    ours = pykan.KAN(width=width, grid=3, auto_save=False, extrapolate="extended")
    ours.load_state_dict(theirs.state_dict())
    theirs(x)
    ours(x)
    if metric == "edge_backward":
        theirs.attribute(plot=False)
    else:
        theirs.node_attribute()
    want = theirs.reg(metric, 1.0, 2.0, 0.0, 0.0)
    got = ours.reg(metric, 1.0, 2.0, 0.0, 0.0)
    # pykan's spreads are unbiased (N - 1), kanlab's over N: the scores are ratios of them
    assert float(got) == pytest.approx(float(want), rel=3e-3)
    (g_want,) = torch.autograd.grad(want, theirs.act_fun[0].coef)
    (g_got,) = torch.autograd.grad(got, ours.layers[0].coef)
    g_want = g_want.permute(1, 0, 2)  # pykan's (in, out, G + k)
    assert float((g_got - g_want).norm() / g_want.norm()) < 3e-3


def test_backward_metrics_train():
    """No longer the forward spreads' penalty; a fit with each trains and logs it."""
    torch.manual_seed(0)
    x = torch.rand(100, 2) * 2 - 1
    y = torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2
    ds = {"train_input": x, "train_label": y, "test_input": x, "test_label": y}
    model = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
    model(x)
    forward = float(model.reg("edge_forward_spline_u"))
    assert abs(float(model.reg("edge_backward")) - forward) > 1e-3 * forward
    for metric in ("edge_backward", "node_backward"):
        m = pykan.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
        r = m.fit(ds, opt="LBFGS", steps=3, lamb=1e-2, reg_metric=metric, log=0)
        assert len(r["reg"]) == 3 and all(torch.isfinite(torch.tensor(r["reg"])))
        assert r["train_loss"][-1] < r["train_loss"][0]
