"""Tests of kanlab.io._checkpoint: safetensors-layout save/load without pickle."""
import json
import os
import pathlib

import numpy as np
import pytest
import torch

import kanlab
from kanlab import KAN, create_dataset
from kanlab.io import FORMAT_VERSION, load
from kanlab.train import seed_function


def _x(dtype=torch.float64, n=200):
    """Inputs covering the grid and beyond it (extrapolation)."""
    g = torch.Generator().manual_seed(1)
    return (torch.rand(n, 2, generator=g, dtype=torch.float64) * 2.4 - 1.2).to(dtype)


def _assert_same(model, loaded, dtype=torch.float64):
    """Loaded model: same architecture, same tensors, bit-identical outputs."""
    assert loaded.width == model.width and [l.grid for l in loaded.layers] == \
        [l.grid for l in model.layers]
    a, b = model.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) if torch.is_tensor(a[k]) else a[k] == b[k] for k in a)
    x = _x(dtype)
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))


def _read_header(path):
    raw = pathlib.Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def _write_raw(path, header, data):
    text = json.dumps(header).encode()
    pathlib.Path(path).write_bytes(len(text).to_bytes(8, "little") + text + data)


@pytest.fixture
def model():
    return KAN(width=[2, 3, 1], grid=5, k=3, seed=0, dtype=torch.float64)


@pytest.fixture
def ckpt(tmp_path, model):
    path = tmp_path / "model.kan"
    model.save(path)
    return path


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16])
def test_roundtrip_fresh(tmp_path, dtype):
    """A fresh KAN round-trips exactly in every floating dtype."""
    model = KAN(width=[2, 4, 1], grid=5, k=3, seed=3, dtype=dtype)
    model.save(tmp_path / "m.kan")
    loaded = kanlab.load(tmp_path / "m.kan")
    assert loaded.dtype == dtype
    _assert_same(model, loaded, dtype)


def test_roundtrip_refined(tmp_path, model):
    """A refined model (more grid intervals than its config's seed) round-trips."""
    refined = model.refine(10)
    refined.save(str(tmp_path / "r.kan"))
    _assert_same(refined, load(str(tmp_path / "r.kan")))


def test_roundtrip_after_update_grid(tmp_path, model):
    """Non-uniform knots from a quantile grid update round-trip exactly."""
    model.update_grid(_x() * 0.5 + 0.2, grid_eps=0.02)
    assert not model.layers[0]._uniform
    model.save(tmp_path / "u.kan")
    loaded = load(tmp_path / "u.kan")
    assert not loaded.layers[0]._uniform
    _assert_same(model, loaded)


def test_roundtrip_layers_with_different_grids(tmp_path, model):
    """Layers on different grids are each restored to their own grid."""
    fine = model.refine(10)
    model.layers[0].set_grid(fine.layers[0].knots, fine.layers[0].coef)
    model.save(tmp_path / "g.kan")
    loaded = load(tmp_path / "g.kan")
    assert [l.grid for l in loaded.layers] == [10, 5]
    _assert_same(model, loaded)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_roundtrip_after_fit(tmp_path, dtype):
    """A trained model (grid updates included) round-trips exactly."""
    data = create_dataset(seed_function, n_var=2, train_num=40, test_num=10, dtype=dtype)
    model = KAN(width=[2, 2, 1], grid=4, k=3, seed=0, dtype=dtype)
    model.fit(data, steps=3, max_iter=5, stop_grid_update_step=3, grid_update_num=3,
              progress=False)
    model.save(tmp_path / "f.kan")
    loaded = load(tmp_path / "f.kan")
    _assert_same(model, loaded, dtype)
    assert [p.requires_grad for p in loaded.parameters()] == [p.requires_grad for p in model.parameters()]


def test_map_location(ckpt):
    """map_location chooses the device of the loaded model."""
    assert load(ckpt, map_location="cpu").device == torch.device("cpu")


def test_file_has_safetensors_layout(ckpt, model):
    """The header is JSON with dtype/shape/contiguous offsets and string metadata."""
    header, data = _read_header(ckpt)
    meta = header.pop("__metadata__")
    assert meta["format"] == "kanlab" and meta["format_version"] == str(FORMAT_VERSION)
    assert meta["kanlab_version"] == kanlab.__version__
    assert all(isinstance(v, str) for v in meta.values())
    assert json.loads(meta["config"]) == model.get_config()
    assert [l["grid"] for l in json.loads(meta["layers"])] == [5, 5]
    assert set(header) == set(model.state_dict())
    assert json.loads(meta["symbolic"]) == [s.names for s in model.symbolic]
    end = 0
    for key, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = entry["data_offsets"]
        t = model.state_dict()[key]
        # symbolic function codes and the layers' continuations
        kind = "I64" if key.endswith((".code", ".extrapolate")) else "F64"
        assert begin == end and entry["dtype"] == kind
        assert entry["shape"] == list(t.shape)
        np.testing.assert_array_equal(
            np.frombuffer(data[begin:stop], "<i8" if kind == "I64" else "<f8").reshape(t.shape),
            t.numpy())
        end = stop
    assert end == len(data)


def test_missing_file(tmp_path):
    """A missing file raises FileNotFoundError."""
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.kan")


@pytest.mark.parametrize("keep", [0, 5, 12, 200, -1])
def test_truncated_file(ckpt, keep):
    """A file cut anywhere raises ValueError naming it."""
    raw = ckpt.read_bytes()
    ckpt.write_bytes(raw[:keep] if keep >= 0 else raw[:-3])
    with pytest.raises(ValueError, match="model.kan.*(truncated|too short)"):
        load(ckpt)


def test_corrupted_header(ckpt):
    """Garbage inside the JSON header raises ValueError naming the file."""
    raw = bytearray(ckpt.read_bytes())
    raw[8:20] = b"\xff{{{{{{{{{{{"
    ckpt.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="model.kan.*not valid UTF-8 JSON"):
        load(ckpt)


def test_random_bytes(tmp_path):
    """Random bytes are refused as a foreign file."""
    path = tmp_path / "noise.bin"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError, match="noise.bin"):
        load(path)


def test_small_header_random_bytes(tmp_path):
    """Bytes whose header length happens to fit are still refused."""
    path = tmp_path / "noise.bin"
    path.write_bytes((16).to_bytes(8, "little") + b"\x00\x01" * 40)
    with pytest.raises(ValueError, match="noise.bin.*JSON"):
        load(path)


def test_foreign_safetensors(tmp_path):
    """A valid safetensors file of another format is not a kanlab checkpoint."""
    path = tmp_path / "other.safetensors"
    weight = np.arange(6, dtype="<f4")
    _write_raw(path, {"weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                      "__metadata__": {"format": "pt"}}, weight.tobytes())
    with pytest.raises(ValueError, match="other.safetensors.*not a kanlab checkpoint"):
        load(path)


def test_newer_format_version(ckpt):
    """A file from a newer format version asks for a newer kanlab."""
    header, data = _read_header(ckpt)
    header["__metadata__"]["format_version"] = str(FORMAT_VERSION + 1)
    _write_raw(ckpt, header, data)
    with pytest.raises(ValueError, match="model.kan.*written by a newer kanlab"):
        load(ckpt)


@pytest.mark.parametrize("key, field, value, message", [
    ("layers.0.coef", "dtype", "F99", "malformed"),
    ("layers.0.coef", "shape", [2, 3, 9], "needs .* bytes"),
    ("layers.0.coef", "data_offsets", [8, 8], "starts at byte"),
    ("layers.0.knots", "shape", [3, 8], "knots|expects"),  # same byte count, wrong shape
    ("layers.1.mask", "dtype", "F32", "needs .* bytes"),
])
def test_inconsistent_entries(ckpt, key, field, value, message):
    """dtype, shape and offset inconsistencies raise ValueError naming the file."""
    header, data = _read_header(ckpt)
    header[key][field] = value
    _write_raw(ckpt, header, data)
    with pytest.raises(ValueError, match=f"model.kan.*({message})"):
        load(ckpt)


def test_trailing_bytes(ckpt):
    """Bytes after the last tensor are refused."""
    ckpt.write_bytes(ckpt.read_bytes() + b"\x00" * 8)
    with pytest.raises(ValueError, match="model.kan.*unexpected bytes"):
        load(ckpt)


def test_failed_save_keeps_existing_file(ckpt, model, monkeypatch):
    """If the final rename fails, the old checkpoint is untouched and no temp file remains."""
    before = ckpt.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        model.refine(10).save(ckpt)
    assert ckpt.read_bytes() == before
    assert os.listdir(ckpt.parent) == [ckpt.name]


def test_save_leaves_no_temp_files(tmp_path, model):
    """Saving twice over the same path leaves exactly the checkpoint."""
    model.save(tmp_path / "a.kan")
    model.save(tmp_path / "a.kan")
    assert os.listdir(tmp_path) == ["a.kan"]


def test_custom_base_fun_refused(tmp_path):
    """A callable base_fun cannot be stored by name, so saving refuses before writing."""
    model = KAN(width=[2, 1], base_fun=torch.sin)
    with pytest.raises(ValueError, match="custom callable"):
        model.save(tmp_path / "c.kan")
    assert os.listdir(tmp_path) == []


def test_round_trip_after_refine_prune_auto_symbolic(tmp_path):
    """refine -> prune -> auto_symbolic: the loaded model has identical outputs and formula."""
    x = _x(torch.float64, 300)
    model = KAN([2, 4, 1], grid=5, k=3, seed=2, dtype=torch.float64)
    model.remove_node(1, 1)
    model = model.refine(10).prune(node_th=1e-8, x=x)
    model.reference_input = x
    model.auto_symbolic(r2_threshold=0.0)
    assert model.width == [2, 3, 1] and model.symbolic[0].active
    model.save(tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    _assert_same(model, loaded)
    loaded.reference_input = x
    assert loaded.symbolic_formula(["x", "y"]) == model.symbolic_formula(["x", "y"])


def test_a_quadratic_continuation_survives_save_and_load(tmp_path):
    model = kanlab.KAN([2, 3, 1], extrapolate="quadratic", seed=1)
    path = tmp_path / "m.kan"
    model.save(path)
    loaded = kanlab.load(path)
    x = torch.linspace(-3, 3, 40).reshape(20, 2)  # beyond the grid [-1, 1]
    assert all(layer.extrapolate == "quadratic" for layer in loaded.layers)
    torch.testing.assert_close(loaded(x), model(x))
