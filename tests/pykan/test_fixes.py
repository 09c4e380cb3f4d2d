"""The bugs issue 19 found in kanlab's native API, each with a test."""
import io
import pickle
import warnings

import numpy as np
import pytest
import torch

import kanlab
from kanlab.symbolic import LIBRARY, register, suggest
from kanlab.train import FitConfig, fit

F64 = torch.float64


def _data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = 2 * torch.rand(n, 2, generator=g, dtype=F64) - 1
    y = x[:, :1] ** 2 + 0.5 * x[:, 1:]
    return {"train_input": x, "train_label": y, "test_input": x, "test_label": y}


def test_pickle_and_torch_save_after_fixing_a_power_function():
    model = kanlab.KAN([2, 1], grid=3, seed=0, dtype=F64)
    data = _data()
    model.fit(data, steps=2, progress=False)
    model.fix_symbolic(0, 0, 0, "x^2")
    x = data["train_input"]
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    again = torch.load(buf, weights_only=False)
    torch.testing.assert_close(again(x), model(x))
    clone = pickle.loads(pickle.dumps(model))
    torch.testing.assert_close(clone(x), model(x))
    assert clone.symbolic[0].names[0][0] == "x^2"


def test_history_is_a_mapping_of_pykans_keys():
    h = kanlab.KAN([2, 1], grid=3, seed=0, dtype=F64).fit(_data(), steps=3, progress=False)
    assert "train_loss" in h and "test_loss" in h and "reg" in h and "nope" not in h
    d = dict(h)
    assert set(d) == {"train_loss", "test_loss", "reg"}
    assert d["train_loss"] == h.train_rmse


def test_feature_score_before_fit_says_what_to_do():
    model = kanlab.KAN([2, 3, 1], grid=3, seed=0, dtype=F64)
    with pytest.raises(ValueError, match="fit the model first"):
        model.feature_score
    assert model.attribute(_data()["train_input"]).feature_score.shape == (2,)


def test_fit_can_run_every_step():
    """A linear target converges in a step or two; pykan's per-step indexing needs every step."""
    g = torch.Generator().manual_seed(1)
    x = 2 * torch.rand(50, 1, generator=g, dtype=F64) - 1
    data = {"train_input": x, "train_label": 0.3 * x, "test_input": x, "test_label": 0.3 * x}
    early = fit(kanlab.KAN([1, 1], grid=3, seed=0, dtype=F64), data,
                FitConfig(steps=30, update_grid=False, progress=False))
    every = fit(kanlab.KAN([1, 1], grid=3, seed=0, dtype=F64), data,
                FitConfig(steps=30, update_grid=False, progress=False, stop_when_converged=False))
    assert early.status == "converged" and len(early.step) < 30
    assert every.status == "completed" and every.step == list(range(1, 31))


def test_fit_uses_loss_fn():
    seen = []

    def l1(pred, y):
        seen.append(pred.shape)
        return (pred - y).abs().mean()

    model = kanlab.KAN([2, 1], grid=3, seed=0, dtype=F64)
    fit(model, _data(), FitConfig(steps=2, progress=False, loss_fn=l1))
    assert seen and seen[0] == (64, 1)


def test_candidate_without_autograd_gets_a_numeric_derivative():
    """J0 (torch.special.bessel_j0 has no autograd) is fitted as J0, not ranked below sin."""
    name = "J0_test"
    register(name, torch.special.bessel_j0, lambda u: u, 2, overwrite=True)
    try:
        cand = LIBRARY[name]
        u = torch.linspace(0.5, 4.9, 40, dtype=F64)  # torch switches J0 formulas at 5
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d = cand.derivative(u)
        # J0' = -J1
        torch.testing.assert_close(d, -torch.special.bessel_j1(u), rtol=1e-6, atol=1e-8)
        assert any("central differences" in str(w.message) for w in caught)
        x = torch.linspace(-1, 1, 200, dtype=F64)
        y = 0.7 * torch.special.bessel_j0(20 * x + 0.3) - 0.2
        best = suggest(x, y, lib=[name, "sin", "x^2", "exp"], topk=2)[0]
        assert best.name == name and best.r2 > 0.999
    finally:
        LIBRARY.pop(name, None)


def test_singularity_avoiding_caps_arctanh_and_keeps_gradients_finite():
    """An arctanh edge whose argument leaves (-1, 1) on some samples: exact evaluation gives
    NaN there; with y_th set the edge outputs ±y_th there, the rest exactly, gradients finite."""
    from kanlab.nn._symbolic_edges import capped
    model = kanlab.KAN([1, 1], seed=0, dtype=F64)
    model.fix_symbolic(0, 0, 0, "arctanh", fit_params=False, params=(1.5, 0.0, 1.0, 0.0))
    x = torch.linspace(-1, 1, 21, dtype=F64)[:, None]
    assert torch.isnan(model.symbolic[0](x)).any()
    model.symbolic[0].y_th = 10.0
    y = model.symbolic[0](x)[:, 0]
    u = 1.5 * x[:, 0]
    inside = u.abs() < 1
    torch.testing.assert_close(y[inside], torch.arctanh(u[inside]))
    torch.testing.assert_close(y[~inside], 10.0 * torch.sign(u[~inside]))
    y.sum().backward()
    assert torch.isfinite(model.symbolic[0].affine.grad).all()
    v = torch.tensor([0.0, 1e-3, 2.0], dtype=F64)  # 1/x: capped only where |1/x| > y_th
    torch.testing.assert_close(capped(torch.reciprocal, v, 100.0),
                               torch.tensor([100.0, 100.0, 0.5], dtype=F64))


def test_pykan_fit_with_singularity_avoiding_runs_every_step():
    """kanlab.pykan's fit(singularity_avoiding=True) trains through arguments outside the domain
    (pykan's Example_10), and leaves the model exact afterwards."""
    from kanlab.pykan import KAN
    x = torch.linspace(-0.9, 0.9, 200, dtype=F64)[:, None]
    data = {"train_input": x, "train_label": torch.arctanh(x), "test_input": x,
            "test_label": torch.arctanh(x)}
    model = KAN(width=[1, 1], grid=3, auto_save=False, seed=0, dtype=F64)
    model.fix_symbolic(0, 0, 0, "arctanh", fit_params_bool=False, verbose=False)
    with torch.no_grad():
        model.symbolic[0].affine[0, 0] = torch.tensor([1.2, 0.0, 1.0, 0.0], dtype=F64)
    res = model.fit(data, opt="Adam", lr=1e-2, steps=150, update_grid=False,
                    singularity_avoiding=True, y_th=10.0)
    assert len(res["train_loss"]) == 150 and res["train_loss"][-1] < res["train_loss"][0] / 10
    assert model.symbolic[0].y_th is None


def test_get_derivative_matches_autograd_and_finite_differences():
    """kan.utils.get_derivative (pykan's Interp_10): the Jacobian is the loss gradient in the
    model2param order; the Hessian times v matches a central difference of that gradient."""
    from kanlab.pykan import KAN
    from kanlab.pykan.utils import get_derivative, model2param
    x = torch.linspace(-1, 1, 40, dtype=F64)[:, None]
    y = x ** 2
    model = KAN(width=[1, 2, 1], grid=3, auto_save=False, seed=0, dtype=F64)
    jac = get_derivative(model, x, y, "jacobian")[0]
    hess = get_derivative(model, x, y, "hessian")[0]
    p = model2param(model)
    assert jac.shape == p.shape and hess.shape == (p.numel(), p.numel())

    def grad_at(flat):
        params = [q for q in model.parameters() if q.requires_grad]
        with torch.no_grad():
            for q, t in zip(params, flat.split([q.numel() for q in params])):
                q.copy_(t.reshape(q.shape))
        model.zero_grad()
        torch.mean((model(x) - y) ** 2).backward()
        return torch.cat([q.grad.reshape(-1) for q in params])
    torch.testing.assert_close(jac, grad_at(p))
    v = torch.randn(p.numel(), generator=torch.Generator().manual_seed(0), dtype=F64)
    eps = 1e-5
    fd = (grad_at(p + eps * v) - grad_at(p - eps * v)) / (2 * eps)
    grad_at(p)
    torch.testing.assert_close(hess @ v, fd, rtol=1e-5, atol=1e-7)


def test_pykan_fit_reg_metric_choices():
    """pykan's edge_forward_sum has no gradient in pykan: it trains like lamb=0 but reports
    the penalty; an unknown reg_metric is refused."""
    from kanlab.pykan import KAN
    data = _data()
    runs, models = [], []
    for kw in ({"lamb": 0.01, "reg_metric": "edge_forward_sum"}, {"lamb": 0.0}):
        model = KAN(width=[2, 2, 1], grid=3, auto_save=False, seed=0, dtype=F64)
        runs.append(model.fit(data, steps=3, update_grid=False, **kw))
        models.append(model)
    for a, b in zip(models[0].parameters(), models[1].parameters()):
        assert torch.equal(a, b)  # the same training, step for step
    # the record reads the training loss off the penalty's forward pass, whose route (and so
    # its last bits) follows the metric
    np.testing.assert_allclose(runs[0]["train_loss"], runs[1]["train_loss"], rtol=1e-12)
    assert all(r > 0 for r in runs[0]["reg"])
    with pytest.raises(ValueError, match="reg_metric"):
        KAN(width=[2, 1], auto_save=False).fit(data, steps=1, reg_metric="bogus")


def _shifted_kan():
    from kanlab.pykan import KAN

    class Shifted(KAN):  # a user's own forward: the fit's record must call it
        def forward(self, x, singularity_avoiding=False, y_th=10.0):
            return super().forward(x) + 1.0

    return Shifted


def test_pykan_fit_records_a_subclass_forward_losses():
    """The record reads the training loss off the penalty's forward pass only for kanlab's own
    forward; a subclass's forward is called, so the recorded loss is its model's."""
    from kanlab.pykan import KAN
    from kanlab.pykan._fit import _library_forward
    data = _data()
    model = _shifted_kan()(width=[2, 2, 1], grid=3, auto_save=False, seed=0, dtype=F64)
    assert _library_forward(KAN(width=[2, 1], auto_save=False)) and not _library_forward(model)
    results = model.fit(data, steps=2, lamb=0.01, update_grid=False)
    with torch.no_grad():
        rmse = torch.sqrt(torch.mean((model(data["train_input"]) - data["train_label"]) ** 2))
    assert results["train_loss"][-1] == pytest.approx(float(rmse), rel=1e-10)


def test_kan_mlp_imports_and_builds():
    # kan.MLP used to raise NotImplementedError; it is now pykan's MLP baseline
    # (tests/pykan/test_notebook_api.py tests its training, penalty and swaps)
    from kanlab.pykan.MLP import MLP
    model = MLP(width=[2, 3, 1])
    assert model(torch.zeros(4, 2)).shape == (4, 1)


def test_after_prune_input_the_model_takes_the_data_with_all_its_columns():
    """pykan 0.2.8's forward selects ``input_id`` after ``prune_input``: the pruned model is
    called and fitted on the data with its original columns (pykan's Interp_4 of July 2024
    fits the pruned model on the 100-column dataset); the kept columns alone work too."""
    import kanlab.pykan as kp
    model = kp.KAN(width=[4, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    g = torch.Generator().manual_seed(0)
    x = 2 * torch.rand(64, 4, generator=g) - 1
    data = {"train_input": x, "test_input": x, "train_label": x[:, [1]] ** 2 + x[:, [3]],
            "test_label": x[:, [1]] ** 2 + x[:, [3]]}
    model(x)
    pruned = model.prune_input(active_inputs=[1, 3])
    assert pruned.input_id.tolist() == [1, 3]
    assert torch.equal(pruned(x), pruned(x[:, [1, 3]]))
    result = pruned.fit(data, steps=2, update_grid=False)
    assert len(result["train_loss"]) == 2
    assert model.input_id.tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        model(x[:, :3])  # too few columns still says so


def test_node_affine_read_outs_have_pykans_shapes():
    """pykan 0.2.8's ``node_scale``/``node_bias``/``subnode_scale``/``subnode_bias`` (read in
    pykan's Interp_9 of July 2024): one tensor per layer, pykan's shapes; the identity map,
    as kanlab folds them into the edges."""
    import kanlab.pykan as kp
    model = kp.KAN(width=[2, [3, 2], 1], grid=3, k=3, seed=0, auto_save=False)
    assert [t.shape[0] for t in model.node_scale] == [5, 1]
    assert [t.shape[0] for t in model.subnode_bias] == [7, 1]
    assert all(torch.all(t == 1) for t in model.node_scale + model.subnode_scale)
    assert all(torch.all(t == 0) for t in model.node_bias + model.subnode_bias)
    kan = pytest.importorskip("kan")
    import os
    import tempfile
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            theirs = kan.KAN(width=[2, [3, 2], 1], grid=3, k=3, seed=0, auto_save=False)
        finally:
            os.chdir(cwd)
    for name in ("node_scale", "node_bias", "subnode_scale", "subnode_bias"):
        assert [tuple(t.shape) for t in getattr(model, name)] == \
            [tuple(t.shape) for t in getattr(theirs, name)], name
        assert all(torch.equal(a, b.detach()) for a, b in zip(getattr(model, name),
                                                             getattr(theirs, name))), name
