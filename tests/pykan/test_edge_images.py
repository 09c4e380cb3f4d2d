"""``plot(folder=...)`` and ``fit(save_fig=True)`` write pykan's per-edge images
``sp_<l>_<i>_<j>.png`` (user code reads them back, e.g. for videos); ``plot()`` without a
folder writes nothing.  pykan 0.2.8 gives the file names (it runs in a temporary directory)."""
import os

import pytest
import torch

from kanlab import pykan

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def _data(n=60, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g) * 2 - 1
    y = torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2
    return {"train_input": x, "train_label": y, "test_input": x, "test_label": y}


def _pngs(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith("sp_"))


def test_the_files_pykan_writes(tmp_path, monkeypatch):
    kan = pytest.importorskip("kan")
    monkeypatch.chdir(tmp_path)
    x = _data()["train_input"]
    theirs = kan.KAN(width=[2, [1, 1], 1], grid=3, seed=0, auto_save=False)
    theirs(x)
    theirs.plot(folder="theirs")
    ours = pykan.KAN(width=[2, [1, 1], 1], grid=3, seed=0, auto_save=False)
    ours(x)
    ours.plot(folder="ours")
    assert _pngs("ours") == _pngs("theirs") and len(_pngs("ours")) == 2 * 3 + 2 * 1
    import matplotlib.pyplot as plt
    plt.close("all")


def test_images_are_small_pngs_coloured_by_branch(tmp_path):
    model = pykan.KAN(width=[2, 2, 1], grid=3, seed=0, auto_save=False)
    model(_data()["train_input"])
    model.fix_symbolic(0, 1, 0, "sin", fit_params_bool=False, verbose=False)
    model.remove_edge(0, 0, 1)
    assert model.plot(folder=tmp_path / "figs", tick=True, sample=True) is None  # as pykan's
    names = os.listdir(tmp_path / "figs")
    assert sorted(names) == ["sp_0_0_0.png", "sp_0_0_1.png", "sp_0_1_0.png", "sp_0_1_1.png",
                             "sp_1_0_0.png", "sp_1_1_0.png"]  # nothing half-written left
    import matplotlib.image as mpimg
    img = {n: mpimg.imread(tmp_path / "figs" / n)[..., :3] for n in names}
    for n, pixels in img.items():
        assert 100 <= pixels.shape[0] <= 400 and 100 <= pixels.shape[1] <= 400, n

    def share(pixels, rgb):
        close = (abs(pixels - torch.tensor(rgb).numpy()) < 0.15).all(-1)
        return float(close.mean())
    black = share(img["sp_0_0_0.png"], (0.0, 0.0, 0.0))
    assert share(img["sp_0_1_0.png"], (1.0, 0.0, 0.0)) > 0.01  # symbolic: red
    assert black > 0.01  # spline: black
    assert share(img["sp_0_0_1.png"], (0.0, 0.0, 0.0)) < 0.2 * black  # removed: tick labels only
    assert share(img["sp_0_0_1.png"], (1.0, 0.0, 0.0)) < 0.001
    import matplotlib.pyplot as plt
    plt.close("all")


def test_no_folder_no_files_and_fit_frames(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = pykan.KAN(width=[2, 2, 1], grid=3, seed=0, auto_save=False)
    model(_data()["train_input"])
    model.plot()
    assert os.listdir(tmp_path) == []  # kanlab writes no file unless asked
    with pytest.raises(TypeError, match="folder must be a path"):
        model.plot(folder=3)
    model.fit(_data(), opt="LBFGS", steps=2, save_fig=True, img_folder="video", log=0)
    files = sorted(os.listdir("video"))
    assert "0.jpg" in files and "1.jpg" in files
    assert _pngs("video") == ["sp_0_0_0.png", "sp_0_0_1.png", "sp_0_1_0.png", "sp_0_1_1.png",
                              "sp_1_0_0.png", "sp_1_1_0.png"]
    import matplotlib.pyplot as plt
    plt.close("all")
