"""bspline_visualization.png shows an edge the model uses (never an empty, masked panel)."""
import matplotlib
import torch

matplotlib.use("Agg")

from kanlab import KAN  # noqa: E402
from kanlab.plotting import plot_edge_in_use  # noqa: E402
from kanlab.plotting._edge_in_use import edge_in_use  # noqa: E402


def _model():
    torch.manual_seed(0)
    model = KAN([2, 2, 1], grid=5, seed=0, dtype=torch.float64)
    x = torch.rand(200, 2, dtype=torch.float64) * 2 - 1
    model.reference_input = x
    return model, x


def test_picks_an_unmasked_spline_edge():
    model, x = _model()
    with torch.no_grad():
        model.layers[0].mask[0, 0] = 0.0  # removed edge: never shown
    l, j, i, spline = edge_in_use(model, x)
    assert spline and float(model.layers[l].mask[j, i]) == 1.0
    fig = plot_edge_in_use(model, x, in_vars=["a", "b"])
    lines = fig.axes[1].get_lines()
    assert any(len(line.get_xdata()) > 100 and abs(line.get_ydata()).max() > 0 for line in lines)


def test_all_symbolic_shows_the_replaced_spline_and_the_formula(tmp_path):
    model, x = _model()
    model.auto_symbolic(r2_threshold=0.0, x=x)
    assert all(float(layer.mask.sum()) == 0 for layer in model.layers)
    l, j, i, spline = edge_in_use(model, x)
    assert not spline
    fig = plot_edge_in_use(model, x, in_vars=["a", "b"], path=tmp_path / "b.png")
    labels = [line.get_label() for line in fig.axes[1].get_lines()]
    assert "former edge (total)" in labels and any(s.startswith("formula:") for s in labels)
    summed = [line for line in fig.axes[1].get_lines() if line.get_label() == "sum: spline part"]
    assert abs(summed[0].get_ydata()).max() > 0  # not the empty panel of a masked edge
    assert (tmp_path / "b.png").stat().st_size > 1000
