"""kanlab.pykan.KAN(seed=s) starts from the model pykan draws for seed s."""
import math

import pytest
import torch

from kanlab.pykan import KAN
from kanlab.pykan.spline import B_batch


@pytest.mark.parametrize("width,grid", [([2, 1, 1], 5), ([4, 2, 1, 1], 3), ([2, [0, 1], 1], 4)])
def test_initial_splines_and_base_weights_follow_pykans_draws_from_the_seed(width, grid):
    """Per layer: ``U(-1/2, 1/2)·noise_scale/G`` at the G + 1 grid points, then
    ``mu/sqrt(n_in) + sigma·U(-1, 1)/sqrt(n_in)``, drawn in that order (float32) from the seed."""
    noise_scale, mu, sigma = 0.3, 0.1, 0.7
    model = KAN(width=width, grid=grid, seed=3, auto_save=False, noise_scale=noise_scale,
                scale_base_mu=mu, scale_base_sigma=sigma)
    g = torch.Generator().manual_seed(3)
    for layer in model.layers:
        n_in, n_out, k = layer.in_features, layer.out_features, layer.k
        noise = (torch.rand(grid + 1, n_in, n_out, generator=g) - 0.5) * noise_scale / grid
        base = mu / math.sqrt(n_in) + sigma * (torch.rand(n_in, n_out, generator=g) * 2 - 1) \
            / math.sqrt(n_in)
        knots = layer.knots.detach()
        points = knots[:, k:knots.shape[1] - k].T  # (G + 1, in)
        values = torch.einsum("bif,oif->bio", B_batch(points, knots, k), layer.coef.detach())
        torch.testing.assert_close(values, noise, atol=1e-6, rtol=0)
        torch.testing.assert_close(layer.scale_base.detach(), base.T)


def test_the_same_seed_gives_pykans_initial_model():
    """Side by side with pykan 0.2.8 where it is installed (benchmarks' extra)."""
    kan = pytest.importorskip("kan")
    import contextlib
    import io
    x = torch.rand(64, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1
    for seed in (0, 1, 2):
        with contextlib.redirect_stdout(io.StringIO()):
            ref = kan.KAN(width=[4, 2, 1, 1], grid=3, seed=seed, auto_save=False)
        ours = KAN(width=[4, 2, 1, 1], grid=3, seed=seed, auto_save=False)
        for a, b in zip(ref.act_fun, ours.layers):
            torch.testing.assert_close(b.coef.detach().permute(1, 0, 2), a.coef.detach(),
                                       atol=1e-6, rtol=0)
            torch.testing.assert_close(b.scale_base.detach().T, a.scale_base.detach())
        torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=0)


def test_create_dataset_draws_pykans_inputs_from_the_seed():
    """pykan draws one variable at a time, its training column then its test column."""
    from kanlab.pykan import create_dataset
    ranges = [[0.0, 1.0], [-2.0, 2.0], [0.2, 5.0]]
    data = create_dataset(lambda x: x[:, :1] * x[:, 1:2] + x[:, 2:], n_var=3, ranges=ranges,
                          train_num=50, test_num=20, seed=4)
    g = torch.Generator().manual_seed(4)
    for i, (lo, hi) in enumerate(ranges):
        torch.testing.assert_close(data["train_input"][:, i],
                                   torch.rand(50, generator=g) * (hi - lo) + lo)
        torch.testing.assert_close(data["test_input"][:, i],
                                   torch.rand(20, generator=g) * (hi - lo) + lo)
    x = data["train_input"]
    torch.testing.assert_close(data["train_label"], x[:, :1] * x[:, 1:2] + x[:, 2:])
    kan = pytest.importorskip("kan")
    ref = kan.create_dataset(lambda x: x[:, :1] * x[:, 1:2] + x[:, 2:], n_var=3, ranges=ranges,
                             train_num=50, test_num=20, seed=4)
    for key in ref:
        torch.testing.assert_close(data[key], ref[key], atol=0, rtol=0)


def test_float64_initial_draw_is_pykans_and_the_same_every_run():
    """lstsq's last bits vary between processes; the draw is rounded to 40 mantissa bits, so a
    float64 model starts from the same coefficients every run (chaotic fits amplified the
    ~1e-17 differences into different notebook results), still pykan's draw to 1e-12."""
    kan = pytest.importorskip("kan")
    from kanlab.pykan import KAN
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        ours = KAN(width=[2, 5, 1], seed=1, auto_save=False)
        ref = kan.KAN(width=[2, 5, 1], seed=1, auto_save=False)
    finally:
        torch.set_default_dtype(old)
    for layer, theirs in zip(ours.layers, ref.act_fun):
        coef = layer.coef.detach()
        assert coef.dtype == torch.float64
        mantissa, _ = torch.frexp(coef)
        scaled = mantissa * 2.0 ** 40
        assert torch.equal(scaled, torch.round(scaled))  # on the 40-bit grid
        torch.testing.assert_close(coef.permute(1, 0, 2), theirs.coef.detach(), atol=1e-12,
                                   rtol=1e-10)


@pytest.mark.parametrize("grid", [10, 20, 50])
def test_fine_grid_draws_are_the_minimum_norm_fit_wherever_the_arrays_lie(grid):
    """pykan's least squares for the initial splines (G + 1 values, G + k coefficients) is
    underdetermined.  gelsy, pykan's driver, returned a basic solution that depended on the
    arrays' memory alignment (10-12 distinct answers over 64 offsets at G = 10-50, up to the
    solution's own size apart), so a seed's model differed from process to process.  The
    minimum-norm fit is one answer: it interpolates the noise at the grid points, from every
    offset."""
    from kanlab.pykan._legacy import initial_coef
    from kanlab.pykan.spline import extend_grid
    k, n_in, n_out = 3, 2, 5
    knots = extend_grid(torch.linspace(-1, 1, grid + 1)[None, :].expand(n_in, -1), k_extend=k)
    noise = (torch.rand(grid + 1, n_in, n_out, generator=torch.Generator().manual_seed(0))
             - 0.5) * 0.5 / grid
    answers = []
    for offset in range(0, 64, 3):
        buf = torch.empty(noise.numel() + offset)
        shifted = buf[offset:].view(noise.shape)
        shifted.copy_(noise)
        answers.append(initial_coef(shifted, knots, k))
    assert all(torch.equal(a, answers[0]) for a in answers)
    points = knots[:, k:knots.shape[1] - k].T
    values = torch.einsum("bif,iof->bio", B_batch(points, knots, k), answers[0])
    torch.testing.assert_close(values, noise, atol=1e-7, rtol=0)
