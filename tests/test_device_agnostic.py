"""Device and dtype agnosticism of the native API, checked on CPU with an emulated accelerator
(``tests/_device_guard.py``: tensors made without ``device=`` land on ``meta``, and host and
device tensors may not meet), so a model on a GPU never meets a tensor made on the host."""
import math

import pytest
import torch

import kanlab
from kanlab import plotting
from kanlab.ops import _kan_linear, _triton
from kanlab.train import FitConfig

from _device_guard import DEVICE, DeviceMixError, assert_on_device, is_device, on_device, to_device


def _target(x):
    return torch.exp(torch.sin(math.pi * x[:, [0]]) + x[:, [1]] ** 2)


def test_guard_catches_what_torch_lets_through():
    """The guard raises where CUDA would, even for the meta/CPU mixes torch lets pass."""
    x = to_device(torch.ones(4, 3))
    with on_device():
        with pytest.raises(DeviceMixError):
            x @ torch.ones(3, 2)  # made without device=: meta (torch itself allows this one)
        with pytest.raises(DeviceMixError):
            x + torch.ones(4, 3, device="cpu")  # a host tensor
        with pytest.raises(DeviceMixError):
            x[torch.arange(2)]  # a meta index
        with pytest.raises(DeviceMixError):
            torch.linalg.lstsq(x, x[:, :1], driver="gelsd")  # CUDA has only gels
        with pytest.raises(DeviceMixError):
            x.numpy()
        host = x.cpu()
        assert not is_device(host) and is_device(host.to(x.device))
        assert not is_device(host)  # .to() made a device copy: the host tensor stays one
        assert is_device(host.to(x)) and not is_device(host)
        assert is_device(x + 1.0) and is_device(x * torch.tensor(2.0, device="cpu"))
        x[torch.arange(2, device="cpu")]  # host indices are fine on CUDA


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_workflow_stays_on_device(dtype):
    """create_dataset, KAN, fit (grid updates), refine, prune, symbolic fits and the formula
    run with model and data on a device, and every output stays there in their dtype."""
    with on_device():
        data = kanlab.create_dataset(_target, 2, train_num=60, test_num=30, dtype=dtype,
                                     device=DEVICE)
        model = kanlab.KAN([2, 3, 1], grid=4, k=3, dtype=dtype, device=DEVICE)
        assert_on_device([data, model], dtype)
        x = data["train_input"]
        kanlab.fit(model, data, FitConfig(steps=3, lamb=1e-3, update_grid=True,
                                          grid_update_num=2))
        model = model.refine(6)
        kanlab.fit(model, data, FitConfig(steps=2, opt="Adam", lr=1e-2))
        model.attribute(x)
        model = model.prune(x=x)
        model.fix_symbolic(0, 0, 0, "sin", x=x)
        model.auto_symbolic(lib=["x", "x^2", "sin", "exp"], x=x, r2_threshold=0.0)
        kanlab.fit(model, data, FitConfig(steps=2))
        assert_on_device([model, model(x)], dtype)
        assert model.symbolic_formula(x=x) is not None
        model = model.prune_input(x=x)  # edge moments of symbolic edges
        assert_on_device(model, dtype)


def test_fit_options_stay_on_device():
    """The fit's other paths (minibatches, continuation choice, trapped-start retries, kept
    L-BFGS memory, the float64 stall phase, smoothness, a loss function) run on a device."""
    with on_device():
        data = kanlab.create_dataset(_target, 2, train_num=60, test_num=30, device=DEVICE)
        model = kanlab.KAN([2, 3, 1], grid=4, device=DEVICE)
        every = dict(steps=4, grid_update_num=2, stop_grid_update_step=4, progress=False)
        for options in (dict(batch=16, opt="Adam", lr=1e-2),
                        dict(choose_continuation="extended_quadratic"),
                        dict(retry_trapped=1, retry_trapped_above=1e-9),
                        dict(keep_memory_below=0.5, grid_carry=True, grid_max_change=2.0),
                        dict(float64_when_stalled=True, lamb=1e-3),
                        dict(lamb_smooth=1e-3, loss_fn=lambda p, y: (p - y).pow(2).mean())):
            kanlab.fit(model, data, FitConfig(**every, **options))
            assert_on_device(model, torch.float32)


def test_plots_of_a_model_on_device():
    """The figures of a model on a device: its data go to the CPU for matplotlib."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    with on_device():
        data = kanlab.create_dataset(_target, 2, train_num=60, test_num=30, device=DEVICE)
        x = data["train_input"]
        model = kanlab.KAN([2, 2, 1], grid=4, device=DEVICE)
        kanlab.fit(model, data, FitConfig(steps=2, progress=False))
        plotting.plot_network(model, x)
        plotting.plot_bspline_basis(model.layers[0], edge=(0, 0))
        plotting.plot_edge_in_use(model, x)  # a spline edge
        plotting.plot_compare(model, _target, ranges=[(-1, 1), (-1, 1)])
        model.auto_symbolic(lib=["x", "x^2", "sin"], x=x, r2_threshold=0.0)
        plotting.plot_edge_in_use(model, x)  # a symbolic edge against its former spline
    import matplotlib.pyplot as plt  # (not imported by kanlab.plotting)
    assert plt.get_fignums() == []  # every figure is a plain Figure, none left open in pyplot


def test_generator_draws_ignore_the_default_device():
    """A CPU generator initialises a layer whatever torch's default device: the draws are
    made on the generator's device, then moved (the same numbers everywhere)."""
    expected = kanlab.KANLayer(2, 3, generator=torch.Generator().manual_seed(5))
    with torch.device("meta"):
        layer = kanlab.KANLayer(2, 3, generator=torch.Generator().manual_seed(5), device="cpu")
    torch.testing.assert_close(layer.coef, expected.coef, rtol=0, atol=0)
    torch.testing.assert_close(layer.scale_base, expected.scale_base, rtol=0, atol=0)


def test_create_dataset_draws_ignore_the_default_device():
    """create_dataset draws on the CPU whatever torch's default device (the same numbers
    everywhere), then moves the data to ``device``."""
    expected = kanlab.create_dataset(_target, 2, train_num=8, test_num=4, seed=3)
    with torch.device("meta"):
        data = kanlab.create_dataset(_target, 2, train_num=8, test_num=4, seed=3,
                                     device="cpu")
    torch.testing.assert_close(data, expected, rtol=0, atol=0)


def test_model_on_another_device_runs_without_cpu_kernels():
    """On a non-CPU device (meta: shapes only) the forward and backward passes run on the
    pure-PyTorch path: neither the C++ (CPU only) nor the Triton (CUDA only) kernels."""
    model = kanlab.KAN([2, 3, 1], grid=4, device="meta")
    x = torch.empty(5, 2, device="meta", requires_grad=True)
    layer = model.layers[0]
    assert not _kan_linear.kernels_usable(x, layer.spline_spec(), layer.coef)
    assert not _triton.usable(x, layer.spline_spec(), layer.coef)
    y = model(x)
    y.sum().backward()
    assert y.device.type == "meta" and y.shape == (5, 1) and x.grad.device.type == "meta"
