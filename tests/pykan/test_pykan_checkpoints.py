"""pykan 0.2.8's checkpoints and state_dicts in kanlab.pykan: ``KAN.loadckpt`` reads the files
pykan's ``saveckpt`` writes, ``load_state_dict`` takes pykan's keys, and the loaded model
computes pykan's outputs (inside and outside the grid) and pykan's formula.  pykan itself
is the oracle; it runs in a temporary directory (it writes ./model)."""
import os

import pytest
import torch

from kanlab import pykan

kan = pytest.importorskip("kan")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs("model")  # pykan's prune and refine log to ./model even without auto_save


def _inputs(n_in, seed=0):
    """Points inside the grid and well beyond it (pykan's spline fades there)."""
    g = torch.Generator().manual_seed(seed)
    inside = torch.rand(100, n_in, generator=g) * 2 - 1
    outside = (torch.rand(100, n_in, generator=g) * 2 - 1) * 3.5
    return torch.cat([inside, outside])


def _perturbed(model, seed=0):
    """A pykan model whose coefficients and scales are no longer the initial ones, with its
    grid moved to samples (non-uniform knots)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.act_fun:
            layer.coef.add_(torch.randn(layer.coef.shape, generator=g) * 0.5)
            layer.scale_base.add_(torch.randn(layer.scale_base.shape, generator=g) * 0.3)
            layer.scale_sp.mul_(1 + torch.rand(layer.scale_sp.shape, generator=g))
    x = torch.rand(64, model.width_in[0], generator=g) ** 2 * 2 - 1
    model.update_grid_from_samples(x)
    model(x)
    return model


def _same_outputs(pk_model, ours, n_in, tol=1e-5):
    # float32 on both sides, in other orders: on an AMD EPYC machine the two differ by up to
    # 6e-6 of the outputs' scale (depending on the run's memory alignment and kernels), where
    # a wrong continuation or a misread key differs by 1e-2 or more
    x = _inputs(n_in)
    with torch.no_grad():
        want, got = pk_model(x), ours(x)
    scale = want.abs().max().clamp_min(1.0)
    assert torch.allclose(got, want, atol=tol * float(scale), rtol=1e-5), \
        float((got - want).abs().max())


def _edit_config(path, old, new):
    """Replace ``old`` (which must be there) by ``new`` in the checkpoint's config file."""
    with open(f"{path}_config.yml") as f:
        config = f.read()
    assert old in config
    with open(f"{path}_config.yml", "w") as f:
        f.write(config.replace(old, new))


def _folded(pk_model, n_in, tol=1e-5):
    """pykan's checkpoint, its config edited to ``affine_trainable: false``, loads into a model
    without affine maps: they fold into the edges."""
    pk_model.saveckpt("./folded")
    _edit_config("./folded", "affine_trainable: true", "affine_trainable: false")
    ours = pykan.KAN.loadckpt("./folded")
    assert ours.affines is None
    _same_outputs(pk_model, ours, n_in, tol)


def _roundtrip(pk_model, n_in, name="ck", tol=1e-5):
    pk_model.saveckpt(f"./{name}")
    ours = pykan.KAN.loadckpt(f"./{name}")
    assert isinstance(ours, pykan.KAN)
    _same_outputs(pk_model, ours, n_in, tol)
    return ours


def test_loadckpt_reads_a_trained_pykan_model_inside_and_outside_the_grid():
    """Non-uniform knots, moved coefficients and scales; outputs equal pykan's on [-1, 1]
    and out to ±3.5 (the extension intervals and beyond)."""
    pk = _perturbed(kan.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False))
    ours = _roundtrip(pk, 2)
    assert all(layer.extrapolate == "extended" for layer in ours.layers)
    assert torch.equal(ours.act_fun[0].grid, pk.act_fun[0].grid)
    assert ours.reference_input is not None and ours.reference_input.shape[1] == 2


def test_loadckpt_after_prune_and_refine():
    pk = _perturbed(kan.KAN(width=[3, 4, 2], grid=3, k=3, seed=1, auto_save=False))
    with torch.no_grad():
        pk.act_fun[0].scale_sp[2] = 0.0  # input 2 dead: prune drops it
        pk.act_fun[0].scale_base[2] = 0.0
        pk.act_fun[1].scale_sp[1] *= 1e-4
        pk.act_fun[1].scale_base[1] *= 1e-4
    pk(_inputs(3)[:100])
    pruned = pk.prune()
    assert pruned.width_in[1] < 4
    _roundtrip(pruned, 3, "pruned")
    refined = pk.refine(10)
    ours = _roundtrip(refined, 3, "refined")
    assert ours.grid == 10


def test_loadckpt_keeps_fixed_symbolic_functions_and_their_constants():
    pk = _perturbed(kan.KAN(width=[2, 3, 1], grid=5, k=3, seed=2, auto_save=False))
    pk.fix_symbolic(0, 0, 1, "sin")
    pk.fix_symbolic(0, 1, 2, "x^2")
    pk.fix_symbolic(1, 2, 0, "exp", fit_params_bool=False)
    ours = _roundtrip(pk, 2)
    assert ours.symbolic_fun[0].funs_name[1][0] == "sin"
    assert ours.symbolic_fun[1].funs_name[0][2] == "exp"
    assert torch.equal(ours.symbolic_fun[0].affine.detach(), pk.symbolic_fun[0].affine.detach())


def test_loadckpt_of_a_multkan():
    """``[2, [3, 2], 1]``: two multiplication nodes of two factors, and per-node arities."""
    pk = _perturbed(kan.KAN(width=[2, [3, 2], 1], grid=5, k=3, seed=3, auto_save=False))
    ours = _roundtrip(pk, 2)
    assert ours.width_spec == [2, [3, 2], 1]
    pk3 = _perturbed(kan.KAN(width=[2, [1, 2], 1], mult_arity=[[], [2, 3], []], grid=4, k=2,
                             seed=4, auto_save=False))
    ours3 = _roundtrip(pk3, 2, "arity")
    assert ours3.arities[1] == [2, 3]


def test_loadckpt_folds_pykans_node_and_subnode_affine_maps():
    """``affine_trainable``: non-identity node/subnode scales and biases (a multiplication
    node's scale included) give pykan's outputs."""
    pk = _perturbed(kan.KAN(width=[2, [2, 1], 1], grid=5, k=3, seed=5, auto_save=False,
                            affine_trainable=True))
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for l in range(pk.depth):
            for p in (pk.node_scale[l], pk.subnode_scale[l]):
                p.add_(torch.rand(p.shape, generator=g) - 0.5)
            pk.subnode_bias[l].add_(torch.rand(pk.subnode_bias[l].shape, generator=g) - 0.5)
        pk.node_bias[0][:2] = torch.tensor([0.3, -0.2])  # the addition nodes only
        pk.node_bias[1].fill_(0.7)
    assert _roundtrip(pk, 2).affine_trainable is True
    with torch.no_grad():
        pk.node_bias[1].fill_(0.0)  # a bias on an output cannot fold into the edges
    _folded(pk, 2)


def test_a_bias_after_a_product_moves_into_the_next_layers_knots():
    """``node_bias`` of a multiplication node: the next layer's input is shifted (its knots,
    its symbolic edges' ``b``); refused where a live silu base function reads that input."""
    pk = _perturbed(kan.KAN(width=[2, [1, 1], 2], grid=5, k=3, seed=9, auto_save=False,
                            affine_trainable=True))
    pk.fix_symbolic(1, 1, 0, "sin")
    with torch.no_grad():
        pk.node_bias[0][1] = 0.4
        pk.act_fun[1].scale_base[1] = 0.0
        pk.symbolic_fun[1].mask[1, 0] = 0.5  # pykan multiplies by the mask
    # x - (t - β) rounds differently from (x + β) - t: float32's 1e-7 of x over a knot
    # interval of 0.4, times the coefficients (measured 5.4e-6)
    _roundtrip(pk, 2, tol=2e-5)
    _folded(pk, 2, tol=2e-5)
    with torch.no_grad():
        pk.act_fun[1].scale_base[1] = 0.3
    # the checkpoint says affine_trainable: the loaded model keeps the maps as they are
    # (pykan's mask 0.5 folded into the sin edge's c, d rounds apart: measured 5.9e-6)
    assert _roundtrip(pk, 2, "live", tol=2e-5).affine_trainable is True
    ours = pykan.KAN(width=[2, [1, 1], 2], grid=5, auto_save=False)  # no maps: folded
    before = {k: v.clone() for k, v in ours.state_dict().items()}
    with pytest.raises(ValueError, match="silu base function"):
        ours.load_state_dict(pk.state_dict())
    assert all(torch.equal(v, before[k]) for k, v in ours.state_dict().items())  # untouched
    # an identity base function shifts too: its edges gain a constant
    pk = _perturbed(kan.KAN(width=[2, [1, 1], 2], grid=5, k=3, seed=10, auto_save=False,
                            affine_trainable=True, base_fun="identity"))
    with torch.no_grad():
        pk.node_bias[0][1] = -0.3
    _roundtrip(pk, 2, "identity", tol=2e-5)
    _folded(pk, 2, tol=2e-5)


def test_loadckpt_with_symbolic_disabled_ignores_the_symbolic_front():
    pk = _perturbed(kan.KAN(width=[2, 2, 1], grid=5, k=3, seed=6, auto_save=False))
    pk.fix_symbolic(0, 0, 0, "sin")
    pk.symbolic_enabled = False
    ours = _roundtrip(pk, 2)
    assert ours.symbolic_fun[0].funs_name[0][0] == "sin"


def test_symbolic_formula_of_a_loaded_symbolic_model_is_pykans():
    sympy = pytest.importorskip("sympy")
    pk = _perturbed(kan.KAN(width=[2, 2, 1], grid=5, k=3, seed=7, auto_save=False))
    for (l, i, j), name in {(0, 0, 0): "sin", (0, 1, 0): "x^2", (0, 0, 1): "x",
                            (0, 1, 1): "exp", (1, 0, 0): "tanh", (1, 1, 0): "x^2"}.items():
        pk.fix_symbolic(l, i, j, name, verbose=False)
    pk.saveckpt("./sym")
    ours = pykan.KAN.loadckpt("./sym")
    want = pk.symbolic_formula()[0][0]
    got = ours.symbolic_formula()[0][0]
    x1, x2 = sympy.symbols("x_1 x_2")
    assert {type(f) for f in want.atoms(sympy.Function)} == \
        {type(f) for f in got.atoms(sympy.Function)}
    for a, b in ((0.3, -0.4), (-0.9, 0.8), (1.5, 2.0)):
        w, o = float(want.subs({x1: a, x2: b})), float(got.subs({x1: a, x2: b}))
        assert abs(w - o) <= 1e-5 * max(1.0, abs(w))
    _same_outputs(pk, ours, 2)


def test_load_state_dict_accepts_pykans_keys():
    """A kanlab.pykan model of the same width (even another grid size) takes pykan's
    state_dict: pykan's tensors in pykan's layout; built with ``extrapolate="extended"``
    it computes pykan's outputs everywhere.  kanlab's own state_dict still loads."""
    pk = _perturbed(kan.KAN(width=[2, [3, 2], 1], grid=7, k=3, seed=8, auto_save=False))
    pk.fix_symbolic(0, 1, 0, "sin")
    state = pk.state_dict()  # no function names: the model's own are kept
    ours = pykan.KAN(width=[2, [3, 2], 1], grid=5, k=3, auto_save=False)
    result = ours.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert ours.grid == 7
    for name in ("grid", "coef", "scale_base", "scale_sp", "mask"):
        assert torch.equal(getattr(ours.act_fun[1], name), getattr(pk.act_fun[1], name)), name
    extended = pykan.KAN(width=[2, [3, 2], 1], grid=7, auto_save=False, extrapolate="extended")
    extended.fix_symbolic(0, 1, 0, "sin", fit_params_bool=False)
    extended.load_state_dict(state)
    _same_outputs(pk, extended, 2)
    again = pykan.KAN(width=[2, [3, 2], 1], grid=7, auto_save=False, extrapolate="extended")
    again.load_state_dict(extended.state_dict())
    _same_outputs(pk, again, 2)


def test_mismatched_state_dict_says_what_was_expected():
    state = kan.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, auto_save=False).state_dict()
    with pytest.raises(ValueError, match=r"act_fun.0.coef.*expects \(2, 3, 8\)"):
        pykan.KAN(width=[2, 3, 1], auto_save=False).load_state_dict(state)
    del state["node_bias_1"]
    with pytest.raises(ValueError, match="missing.*node_bias_1"):
        pykan.KAN(width=[2, 5, 1], auto_save=False).load_state_dict(state)
    result = pykan.KAN(width=[2, 5, 1], auto_save=False).load_state_dict(state, strict=False)
    assert result.missing_keys == ["node_bias_1"]


def test_bad_checkpoint_files_raise_clear_errors():
    pk = kan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False)
    pk.saveckpt("./good")
    with pytest.raises(FileNotFoundError, match="expected ./none.pt"):
        pykan.KAN.loadckpt("./none")
    pk.saveckpt("./model/0.3")
    with pytest.raises(FileNotFoundError, match=r"is a folder, name a checkpoint in it, e\.g\. "
                                                 r"'\./model/0\.3'"):
        pykan.KAN.loadckpt("./model")
    with open("./bad_config.yml", "w") as f:
        f.write("grid: 5\nk: 3\n")
    with pytest.raises(ValueError, match=r"lacks \['width'\]"):
        pykan.KAN.loadckpt("./bad")
    with open("./good_config.yml") as f:
        good = f.read()
    with open("./wide_config.yml", "w") as f:
        f.write(good.replace("- - 3\n  - 0", "- - 4\n  - 0"))
    os.replace("./good_state", "./wide_state")
    with pytest.raises(ValueError, match=r"wide_config.yml: symbolic.funs_name.0 must be 4 "):
        pykan.KAN.loadckpt("./wide")
    with open("./mixed_config.yml", "w") as f:
        f.write(good)
    torch.save(kan.KAN(width=[2, 4, 1], grid=5, k=3, auto_save=False).state_dict(),
               "./mixed_state")
    with pytest.raises(ValueError, match=r"mixed_state \(with ./mixed_config.yml\): pykan "
                                         r"state_dict\['act_fun.0.coef'\] has shape \(2, 4, 8\)"):
        pykan.KAN.loadckpt("./mixed")
    with open("./mixed_state", "wb") as f:
        f.write(b"not a torch file")
    with pytest.raises(ValueError, match="mixed_state is not a torch state_dict"):
        pykan.KAN.loadckpt("./mixed")
    with open("./named_config.yml", "w") as f:
        f.write(good.replace("- - '0'", "- - nosuchfun", 1))
    torch.save(pk.state_dict(), "./named_state")
    with pytest.raises(ValueError, match="symbolic.funs_name.0.*nosuchfun"):
        pykan.KAN.loadckpt("./named")


def test_loadckpt_still_reads_kanlabs_own_checkpoints_and_pykan_file_names():
    model = pykan.KAN(width=[2, 3, 1], grid=4, seed=0, auto_save=False)
    model.saveckpt("./mine")
    again = pykan.KAN.loadckpt("./mine")
    x = _inputs(2)
    assert torch.equal(again(x), model(x))
    pk = _perturbed(kan.KAN(width=[2, 3, 1], grid=5, k=3, seed=0, auto_save=False))
    pk.saveckpt("./theirs")
    _same_outputs(pk, pykan.KAN.loadckpt("./theirs_config.yml"), 2)


def test_importing_kanlab_pykan_does_not_import_yaml():
    """PyYAML is read only when a pykan checkpoint is (a guard: kanlab does not depend on it)."""
    import subprocess
    import sys
    src = os.path.dirname(os.path.dirname(pykan.__file__))
    code = (f"import sys; sys.path.insert(0, {src!r}); import kanlab.pykan; "
            "print('yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_rewind_reaches_a_version_that_pykan_auto_saved(capsys):
    pk = kan.KAN(width=[2, 3, 1], grid=5, k=3, seed=11)  # auto_save: ./model/0.0_*
    ours = pykan.KAN.loadckpt("./model/0.0")
    assert ours.auto_save and ours.round == 1
    back = ours.rewind("0.0")
    assert back.round == 2 and back.state_id == 0
    _same_outputs(pk, back, 2)
    assert os.path.isfile("./model/2.0.pt")  # kanlab's auto-save goes on beside pykan's files


def test_loading_leaves_the_global_generators_alone():
    """pykan's loadckpt builds its model with seed 1 and so reseeds torch, numpy and random;
    loading here leaves them where the caller had them (failed before: the next draw after a
    load was seed 1's)."""
    import random

    import numpy as np
    pk = kan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    pk.saveckpt("./rng")
    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    want = torch.rand(3), np.random.rand(3), random.random()
    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    pykan.KAN.loadckpt("./rng")
    got = torch.rand(3), np.random.rand(3), random.random()
    assert torch.equal(got[0], want[0]) and np.array_equal(got[1], want[1]) and got[2] == want[2]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_a_checkpoint_saved_on_a_gpu_says_how_to_load_it_on_a_cpu():
    """pykan's config names the device it was saved from; on a machine without CUDA that is
    a ValueError naming map_location (failed before: torch's CUDA error out of the
    constructor), and map_location='cpu' loads it."""
    pk = kan.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    pk.saveckpt("./gpu")
    _edit_config("./gpu", "device: cpu", "device: cuda")
    with pytest.raises(ValueError, match=r"saved on 'cuda'.*map_location='cpu'"):
        pykan.KAN.loadckpt("./gpu")
    ours = pykan.KAN.loadckpt("./gpu", map_location="cpu")
    assert ours.device.type == "cpu"
    _same_outputs(pk, ours, 2)
