"""Tests for kanlab.plotting: figures are built, written atomically and show the right things."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imread  # noqa: E402

import kanlab  # noqa: E402
from kanlab.plotting import (plot_bspline_basis, plot_compare, plot_history,  # noqa: E402
                             plot_network)
from kanlab.plotting._common import save_png  # noqa: E402

DTYPE = torch.float64
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def seed_fn(x):
    return torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)


@pytest.fixture
def model():
    return kanlab.KAN([2, 3, 1], grid=5, k=3, seed=0, dtype=DTYPE)


@pytest.fixture
def data():
    return kanlab.create_dataset(seed_fn, 2, train_num=200, test_num=50, dtype=DTYPE)


def make_history(n_steps=5, updates=(0, 2)):
    steps = list(range(1, n_steps + 1))
    rmse = [10.0 ** -s for s in range(n_steps)]
    return kanlab.History(step=steps, train_rmse=rmse, test_rmse=[2 * r for r in rmse],
                          grid_update_steps=list(updates))


def edge_curves(fig):
    """The diagram's per-edge curves, labelled "edge l=.. i=.. j=.."."""
    return [line for line in fig.axes[0].get_lines() if line.get_label().startswith("edge")]


def edge_frames(fig):
    return [p for p in fig.axes[0].patches if p.get_label().startswith("frame edge")]


def assert_png(path):
    with open(path, "rb") as fh:
        assert fh.read(8) == PNG_MAGIC
    image = imread(path)
    assert image.size > 0 and float(np.std(image)) > 0.01, "image is blank"


FIGURES = {
    "network": lambda m, d, p: plot_network(m, d["train_input"], path=p),
    "basis": lambda m, d, p: plot_bspline_basis(m.layers[0], edge=(1, 0), path=p),
    "compare": lambda m, d, p: plot_compare(m, seed_fn, ranges=[(-1, 1), (-1, 1)], n=21, path=p),
    "history": lambda m, d, p: plot_history([(3, make_history()), (5, make_history())], path=p),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_writes_one_nonblank_png(name, model, data, tmp_path):
    """Every figure function returns a Figure and writes a non-blank PNG, leaving no temp file."""
    path = tmp_path / f"{name}.png"
    fig = FIGURES[name](model, data, path)
    assert isinstance(fig, Figure)
    assert_png(path)
    assert os.listdir(tmp_path) == [path.name]


def test_overwrite_leaves_no_temp_files(tmp_path):
    """Writing twice to one path replaces the file and leaves nothing else behind."""
    path = tmp_path / "out.png"
    plot_history(make_history(), path=path)
    first = path.read_bytes()
    plot_history([(3, make_history()), (5, make_history())], path=path)
    assert os.listdir(tmp_path) == ["out.png"] and path.read_bytes() != first
    assert_png(path)


def test_save_keeps_mode_of_replaced_file(tmp_path):
    """Overwriting a file keeps its permission bits (the temp file starts as 0o600)."""
    path = tmp_path / "out.png"
    path.write_bytes(b"old")
    path.chmod(0o640)
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    save_png(fig, path)
    assert (path.stat().st_mode & 0o777) == 0o640
    assert_png(path)


def test_failed_save_leaves_no_temp_file_and_old_file(tmp_path, monkeypatch):
    """If rendering fails, the old file is untouched and no temp file remains."""
    path = tmp_path / "out.png"
    path.write_bytes(b"old")
    fig = Figure()

    def broken(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError, match="render failed"):
        save_png(fig, path)
    assert os.listdir(tmp_path) == ["out.png"] and path.read_bytes() == b"old"


def test_missing_directory_raises(model, tmp_path):
    """A path in a directory that does not exist is a clear FileNotFoundError."""
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot_network(model, path=tmp_path / "missing" / "net.png")


def test_network_one_inset_per_edge(model, data):
    """The diagram has one framed curve per edge, with or without samples."""
    for x in (data["train_input"], None):
        fig = plot_network(model, x)
        assert len(edge_curves(fig)) == len(edge_frames(fig)) == 2 * 3 + 3 * 1


def test_network_skips_masked_edge(model):
    """A masked edge gets no inset."""
    model.layers[0].mask[2, 1] = 0
    labels = [line.get_label() for line in edge_curves(plot_network(model))]
    assert len(labels) == 2 * 3 + 3 - 1
    assert "edge l=0 i=1 j=2" not in labels


def test_network_wide_insets_do_not_overlap():
    """For width [8, 16, 8, 1] every inset lies inside the figure and none overlap."""
    big = kanlab.KAN([8, 16, 8, 1], grid=3, k=3, seed=0, dtype=DTYPE)
    fig = plot_network(big, torch.rand(64, 8, dtype=DTYPE) * 2 - 1)
    boxes = [frame.get_bbox() for frame in edge_frames(fig)]  # in inches
    assert len(boxes) == len(edge_curves(fig)) == 8 * 16 + 16 * 8 + 8
    w, h = fig.get_size_inches()
    assert all(0 <= b.x0 and b.x1 <= w and 0 <= b.y0 and b.y1 <= h for b in boxes)
    rows = {}
    for b in boxes:
        rows.setdefault(round(b.y0, 6), []).append((b.x0, b.x1))
    for spans in rows.values():
        spans.sort()
        assert all(right < left for (_, right), (left, _) in zip(spans, spans[1:]))


def test_network_curve_is_edge_function(model, data):
    """Each inset is the layer's edge_values over its input's range, scaled into the frame."""
    fig = plot_network(model, data["train_input"])
    line = next(c for c in edge_curves(fig) if c.get_label() == "edge l=0 i=1 j=2")
    u, v = (np.asarray(a) for a in line.get_data())  # in inches on the canvas
    x = data["train_input"][:, 1]
    xs = torch.linspace(float(x.min()), float(x.max()), len(u), dtype=DTYPE)
    grid = torch.zeros(len(u), 2, dtype=DTYPE)
    grid[:, 1] = xs
    with torch.no_grad():
        ys = model.layers[0].edge_values(grid)[:, 2, 1].numpy()
    # An affine map of (x, φ(x)) with positive scales: compare the normalised shapes.
    normalise = lambda a: (a - a.min()) / (a.max() - a.min())  # noqa: E731
    np.testing.assert_allclose(normalise(u), normalise(xs.numpy()), atol=1e-9)
    np.testing.assert_allclose(normalise(v), normalise(ys), atol=1e-9)


def test_network_labels_symbolic_edge(model):
    """An edge named in ``layer.symbolic_names`` carries that name; None entries do not."""
    model.layers[1].symbolic_names = [["sin", None, ""]]
    fig = plot_network(model)
    named = {t.get_label(): t.get_text() for t in fig.axes[0].texts
             if t.get_label().startswith("name")}
    assert named == {"name edge l=1 i=0 j=0": "sin"}


def test_network_variable_names(model):
    """Input and output names are written on the diagram; a wrong count is rejected."""
    fig = plot_network(model, in_vars=["$a$", "$b$"], out_vars=["$f$"])
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"$a$", "$b$", "$f$"} <= texts
    with pytest.raises(ValueError, match="in_vars"):
        plot_network(model, in_vars=["$a$"])


def test_network_title_sits_above_the_outputs(model):
    """A title is written on the diagram above the output names, not over them: the figure
    grows by a band that holds it, and the diagram below keeps its size."""
    plain = plot_network(model, out_vars=["y"])
    titled = plot_network(model, out_vars=["y"], title="Step 3")
    canvas = titled.axes[0]
    title = [t for t in canvas.texts if t.get_label() == "title"]
    assert [t.get_text() for t in title] == ["Step 3"] and len(titled.axes) == 1
    out = [t for t in canvas.texts if t.get_text() == "y"][0]
    renderer = FigureCanvasAgg(titled).get_renderer()
    assert title[0].get_window_extent(renderer).y0 > out.get_window_extent(renderer).y1
    assert titled.get_figheight() > plain.get_figheight()
    assert titled.get_figwidth() == plain.get_figwidth()


def test_basis_left_panel_has_every_basis(model):
    """The left panel draws G + k bases, plus the knots."""
    layer = model.layers[0]
    ax_basis, _ = plot_bspline_basis(layer).axes
    assert len(ax_basis.get_lines()) == layer.n_basis + 1


def test_basis_sum_is_spline_branch(model):
    """The thick sum is the edge's value minus its base branch, on the base interval."""
    layer = model.layers[0]
    j, i = 2, 1
    _, ax_edge = plot_bspline_basis(layer, edge=(i, j)).axes
    line = next(l for l in ax_edge.get_lines() if l.get_label() == "sum: spline part")
    xs, ys = line.get_data()
    inside = (xs >= float(layer.knots[i, layer.k])) & (xs <= float(layer.knots[i, layer.n_basis]))
    grid = torch.zeros(int(inside.sum()), 2, dtype=DTYPE)
    grid[:, i] = torch.as_tensor(xs[inside])
    with torch.no_grad():
        base = layer.scale_base[j, i] * torch.nn.functional.silu(grid[:, i])
        expected = layer.edge_values(grid)[:, j, i] - base
    np.testing.assert_allclose(ys[inside], expected.numpy(), atol=1e-12)


def test_basis_rejects_bad_edge(model):
    """An edge outside the layer is a ValueError naming the bounds."""
    with pytest.raises(ValueError, match="0 <= j < 3"):
        plot_bspline_basis(model.layers[0], edge=(0, 3))


def test_compare_two_inputs_heatmaps(model):
    """Two inputs: truth, model and a log-scaled error heatmap, each with a colorbar."""
    fig = plot_compare(model, seed_fn, ranges=[(-1, 1), (-1, 1)], n=11)
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["truth", "model", "|model − truth|"]
    assert isinstance(panels[2].images[0].norm, LogNorm)
    assert len(fig.axes) == 6  # three panels, three colorbars


def test_compare_one_input_curves_and_error():
    """One input: a curves panel (truth, model) and an error panel."""
    m = kanlab.KAN([1, 2, 1], grid=3, k=3, seed=0, dtype=DTYPE)
    fig = plot_compare(m, lambda x: torch.sin(3 * x), ranges=[(-1, 1)], n=31)
    curves, error = fig.axes
    assert [line.get_label() for line in curves.get_lines()] == ["truth", "model"]
    assert len(error.get_lines()) == 1 and error.get_yscale() == "log"


def test_compare_three_inputs_slices_first_output():
    """Three inputs: one slice panel per input; with two outputs the title names the first."""
    m = kanlab.KAN([3, 2, 2], grid=3, k=3, seed=0, dtype=DTYPE)
    fig = plot_compare(m, lambda x: x[:, :2] ** 2, ranges=[(-1, 1)] * 3, n=11)
    assert len(fig.axes) == 3 and all(len(ax.get_lines()) == 2 for ax in fig.axes)
    assert "first of 2 outputs" in fig.get_suptitle()


def test_compare_rejects_wrong_truth_shape(model):
    """A truth function with the wrong output shape is a ValueError."""
    with pytest.raises(ValueError, match="f must map"):
        plot_compare(model, lambda x: x, ranges=[(-1, 1), (-1, 1)], n=5)


def test_compare_rejects_wrong_ranges(model):
    """Ranges must give one (lo, hi) per input."""
    with pytest.raises(ValueError, match="one \\(lo, hi\\) pair per input"):
        plot_compare(model, seed_fn, ranges=[(-1, 1)], n=5)


def test_history_cumulative_steps_and_stage_lines():
    """Stages are laid end to end, with a dashed line and a G label per grid change."""
    fig = plot_history([(3, make_history(4, ())), (6, make_history(5, (0, 2)))])
    ax = fig.axes[0]
    train = next(line for line in ax.get_lines() if line.get_label() == "train")
    assert list(train.get_xdata()) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    updates = next(line for line in ax.get_lines() if line.get_label() == "grid update")
    assert list(updates.get_xdata()) == [4, 6]
    stage_lines = [line for line in ax.get_lines() if line.get_linestyle() == "--"
                   and line.get_label().startswith("_")]
    assert [line.get_xdata()[0] for line in stage_lines] == [4]
    assert {"G=3", "G=6"} <= {t.get_text() for t in ax.texts}
    assert ax.get_yscale() == "log"


def test_history_accepts_single_history():
    """A single History is one stage, without G labels."""
    ax = plot_history(make_history()).axes[0]
    assert not ax.texts and ax.get_legend() is not None


def test_history_rejects_bad_stages():
    """Stages must be (grid, History) pairs."""
    with pytest.raises(TypeError, match="grid, History"):
        plot_history([(5, {"train_rmse": [1.0]})])


def test_import_kanlab_does_not_import_matplotlib():
    """``import kanlab`` alone leaves matplotlib unimported."""
    code = "import sys, kanlab; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_pyplot(model, data, tmp_path):
    """Making every figure, and saving, never imports matplotlib.pyplot."""
    if "matplotlib.pyplot" in sys.modules:
        pytest.skip("pyplot already imported by another test or plugin")
    for name, make in FIGURES.items():
        make(model, data, tmp_path / f"{name}.png" if name in ("history", "network") else None)
    assert "matplotlib.pyplot" not in sys.modules


def test_model_plot_uses_reference_input(tmp_path):
    """KAN.plot draws the diagram on the training inputs and can write the PNG."""
    import torch
    from kanlab import KAN
    model = KAN([2, 3, 1], grid=5, seed=0, dtype=torch.float64)
    model.reference_input = torch.rand(50, 2, dtype=torch.float64) * 2 - 1
    fig = model.plot(path=tmp_path / "net.png")
    assert (tmp_path / "net.png").stat().st_size > 0 and fig.axes[0].get_label() == "diagram"


def test_save_png_does_not_fsync(tmp_path, monkeypatch):
    """Figures are written atomically but not fsynced (they are drawn again from the model)."""
    from kanlab.io import _atomic
    calls = []
    monkeypatch.setattr(_atomic.os, "fsync", lambda fd: calls.append(fd))
    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [0, 1])
    save_png(fig, tmp_path / "f.png")
    assert calls == [] and imread(tmp_path / "f.png").shape[:2] == (300, 300)
    assert os.listdir(tmp_path) == ["f.png"]
