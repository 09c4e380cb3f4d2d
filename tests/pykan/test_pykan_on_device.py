"""kanlab.pykan with model and data on a device (pykan's API_10_device notebook), checked on
CPU with an emulated accelerator (``tests/_device_guard.py``): nothing made on the host by
accident meets the model, and every output stays on its device and dtype."""
import math

import matplotlib
import pytest
import torch

from kanlab.pykan import KAN, create_dataset, create_dataset_from_data, fit_params
from kanlab.pykan.KANLayer import KANLayer
from kanlab.pykan.MLP import MLP
from kanlab.pykan.Symbolic_KANLayer import Symbolic_KANLayer

from _device_guard import DEVICE, assert_on_device, on_device

matplotlib.use("Agg")


def _target(x):
    return torch.exp(torch.sin(math.pi * x[:, [0]]) + x[:, [1]] ** 2)


@pytest.fixture
def default_float64():
    """torch's default dtype float64 for one test (pykan users set it before building)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch.float64
    torch.set_default_dtype(old)


def test_workflow_stays_on_device(tmp_path):
    """fit, plot, prune, refine, checkpoints, symbolic fits and the formula run with model
    and data on a device; the model stays there in the default dtype."""
    default_dtype = torch.float32
    with on_device():
        data = create_dataset(_target, n_var=2, train_num=60, test_num=30, device=DEVICE)
        model = KAN(width=[2, 3, 1], grid=3, k=3, seed=1, device=DEVICE, auto_save=False)
        assert_on_device([data, model], default_dtype)
        model.fit(data, opt="LBFGS", steps=3, lamb=0.01)
        model.plot()
        model = model.prune()
        assert_on_device(model.get_act(data["train_input"]), default_dtype)
        model.attribute()
        model = model.refine(5)
        model.fit(data, opt="Adam", steps=2, lr=1e-2, update_grid=False)
        model.saveckpt(str(tmp_path / "ck"))
        KAN.loadckpt(str(tmp_path / "ck"))
        model.auto_symbolic(lib=["x", "x^2", "sin", "exp"])
        model.fit(data, steps=2)
        assert_on_device([model, model(data["train_input"])], default_dtype)
        assert model.symbolic_formula()[0]


def test_multkan_stays_on_device():
    """A MultKAN fits, plots and prunes on a device."""
    with on_device():
        data = create_dataset(_target, n_var=2, train_num=60, test_num=30, device=DEVICE)
        model = KAN(width=[2, [1, 1], 1], grid=3, k=3, seed=0, device=DEVICE, auto_save=False)
        model.fit(data, steps=3)
        model.plot()
        model = model.prune()
        assert_on_device([model, model(data["train_input"])], torch.float32)


def test_float64_default_stays_on_device(default_float64):
    """With torch's default dtype float64 (set before building), model and outputs are
    float64 on the device through fit, prune, refine and a symbolic edge."""
    with on_device():
        data = create_dataset(_target, n_var=2, train_num=60, test_num=30, device=DEVICE)
        model = KAN(width=[2, 3, 1], grid=3, k=3, seed=1, device=DEVICE, auto_save=False)
        model.fit(data, steps=3, lamb=0.01)
        model = model.prune().refine(5)
        model.fix_symbolic(0, 0, 0, "sin")
        model.fit(data, steps=2)
        assert_on_device([data, model, model(data["train_input"])], default_float64)


def test_structure_edits_stay_on_device():
    """swap, auto_swap, perturb, expand_width/depth, prune_input and the fit's other paths
    (minibatches, singularity avoidance, grid updates from step 0) run on a device."""
    with on_device():
        data = create_dataset(_target, n_var=2, train_num=60, test_num=30, device=DEVICE)
        model = KAN(width=[2, 3, 1], grid=3, k=3, seed=1, device=DEVICE, auto_save=False)
        model.fit(data, steps=2, batch=20, opt="Adam")
        model.fit(data, steps=2, singularity_avoiding=True)
        model.fit(data, steps=2, start_grid_update_step=0, stop_grid_update_step=2)
        model.swap(1, 0, 1)
        model.auto_swap()
        model.perturb(mag=0.1)
        model.expand_width(1, 1)
        model.expand_depth()
        model.fit(data, steps=2)
        model = model.prune_input()
        assert_on_device([model, model(data["train_input"])], torch.float32)


def test_standalone_layers_and_helpers_on_device():
    """pykan's KANLayer, Symbolic_KANLayer and MLP built with device=, and the helpers given
    device tensors, keep to that device."""
    with on_device():
        data = create_dataset(_target, n_var=2, train_num=60, test_num=30, device=DEVICE)
        x = data["train_input"]
        layer = KANLayer(in_dim=2, out_dim=3, device=DEVICE)
        layer.update_grid_from_samples(x)
        assert_on_device([layer, layer(x)], torch.float32)
        sym = Symbolic_KANLayer(in_dim=2, out_dim=3, device=DEVICE)
        r2 = sym.fix_symbolic(0, 0, "sin", x=x[:, 0], y=torch.sin(x[:, 0]), verbose=False)
        assert_on_device([sym, sym(x), r2], torch.float32)
        params, r2 = fit_params(x[:, 0], torch.sin(x[:, 0]), torch.sin, verbose=False)
        assert_on_device([params, r2], torch.float32)
        split = create_dataset_from_data(x, data["train_label"], device=DEVICE, seed=0)
        assert_on_device(split, torch.float32)
        mlp = MLP(width=[2, 5, 1], device=DEVICE)
        mlp.fit(data, steps=2)
        mlp.plot()
        assert_on_device([mlp, mlp(x)], torch.float32)


def test_loadckpt_takes_map_location(tmp_path):
    """loadckpt passes map_location to torch.load (a model saved on a GPU loads on a machine
    without one with map_location="cpu"): every storage goes through it."""
    model = KAN(width=[2, 2, 1], grid=3, auto_save=False)
    model.saveckpt(str(tmp_path / "m"))
    seen = []
    loaded = KAN.loadckpt(str(tmp_path / "m"), map_location=lambda s, where: seen.append(where) or s)
    assert seen and set(seen) == {"cpu"}
    x = torch.rand(4, 2)
    torch.testing.assert_close(loaded(x), model(x))


def test_double_model_on_float64_data():
    """A float32 model made float64 with .double() trains on float64 data on a device, and
    a float32 model takes float64 data (cast to its dtype), as pykan's do."""
    with on_device():
        data = create_dataset(_target, n_var=2, train_num=40, test_num=20, device=DEVICE)
        wide = {k: v.double() for k, v in data.items()}
        model = KAN(width=[2, 2, 1], grid=3, seed=0, device=DEVICE, auto_save=False)
        model.fit(wide, steps=2)
        assert_on_device(model, torch.float32)
        model.double()
        model.fit(wide, steps=2)
        model = model.prune().refine(4)
        assert_on_device([model, model(wide["train_input"])], torch.float64)


def test_api_10_device_pattern():
    """API_10_device's cells: a model built on the CPU then moved with .to(device), data made
    on the device, a regularised Adam fit without grid updates."""
    with on_device():
        model = KAN(width=[4, 5, 1], grid=3, k=3, seed=0, auto_save=False).to(DEVICE)
        data = create_dataset(lambda x: torch.exp(x[:, [0]] * x[:, [1]] + x[:, [2]] - x[:, [3]]),
                              n_var=4, train_num=50, test_num=20, device=DEVICE)
        model.fit(data, opt="Adam", lr=1e-3, steps=3, lamb=1e-3, lamb_entropy=5.,
                  update_grid=False)
        assert_on_device([model, model(data["train_input"])], torch.float32)


def test_hypothesis_results_stay_on_device():
    """kan.hypothesis's boolean answers are 0-dim tensors on the data's device (they were
    made on torch's default device, so a GPU's answer depended on the default)."""
    from kanlab.pykan import hypothesis
    from kanlab.pykan.utils import augment_input
    import sympy

    def f(x):
        return x[:, [0]] ** 2 + torch.sin(x[:, [1]])

    with on_device():
        x = torch.rand(20, 2, dtype=torch.float64, device=DEVICE) + 0.5
        for answer in (hypothesis.test_separability(f, x, [[0], [1]]),
                       hypothesis.test_general_separability(f, x, [[0], [1]])):
            assert answer.dim() == 0 and bool(answer)
            assert_on_device(answer.double())
        a, b = sympy.symbols("a b")
        assert_on_device(augment_input([a, b], [a * b], x))
