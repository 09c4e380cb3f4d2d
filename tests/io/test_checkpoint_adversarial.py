"""Checkpoints against a second adversarial pass: huge sparse files, out-of-range values, devices."""
import hashlib
import json
import pathlib
import time

import numpy as np
import pytest
import torch

from kanlab import KAN
from kanlab.io._checkpoint import load


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / "m.kan"
    KAN([2, 3, 1], grid=5, seed=0, dtype=torch.float64).save(path)
    return path


def _set_values(path, key, value):
    """Overwrite tensor ``key`` with ``value`` and store the matching SHA-256."""
    raw = pathlib.Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header, data = json.loads(raw[8:8 + n]), bytearray(raw[8 + n:])
    begin, end = header[key]["data_offsets"]
    dtype = {"F64": "<f8", "I64": "<i8"}[header[key]["dtype"]]
    array = np.frombuffer(bytes(data[begin:end]), dtype=dtype).copy()
    array[:] = value
    data[begin:end] = array.tobytes()
    header["__metadata__"]["data_sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    pathlib.Path(path).write_bytes(len(text).to_bytes(8, "little") + text + bytes(data))


@pytest.mark.parametrize("header", [True, False])
def test_huge_sparse_file_is_refused_without_reading_it(tmp_path, ckpt, header):
    """A 20 GiB file (sparse: no disk used) is refused from its header, not read into memory."""
    path = tmp_path / "big.kan"
    with open(path, "wb") as f:
        if header:  # a real checkpoint followed by 20 GiB of holes
            f.write(ckpt.read_bytes())
        f.truncate(20 * 2 ** 30)
    start = time.process_time()
    with pytest.raises(ValueError, match="big.kan.*(unexpected bytes|JSON|implausible)"):
        load(path)
    assert time.process_time() - start < 2.0  # reading 20 GiB would take far longer


@pytest.mark.parametrize("key, value, message", [
    ("layers.0.mask", 0.5, "other than 0 and 1"), ("symbolic.0.mask", 7.0, "other than 0 and 1"),
    ("layers.1.mask", -1.0, "other than 0 and 1"), ("symbolic.0.code", 10 ** 6, "function codes"),
    ("symbolic.1.code", -5, "function codes"),
])
def test_out_of_range_masks_and_codes_are_refused(ckpt, key, value, message):
    """Values a saved model never holds are refused even with a matching SHA-256."""
    _set_values(ckpt, key, value)
    with pytest.raises(ValueError, match=f"m.kan.*{key}.*{message}"):
        load(ckpt)


def test_map_location_absent_or_meta_device_is_a_clear_error(ckpt):
    """A device the machine lacks (or meta, which holds no data) is named, before reading."""
    with pytest.raises(ValueError, match="meta"):
        load(ckpt, map_location="meta")
    with pytest.raises(TypeError, match="map_location must be a device"):
        load(ckpt, map_location="nope")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="'cuda:0' is not available|'cuda' is not available"):
            load(ckpt, map_location="cuda")
    assert load(ckpt, map_location="cpu").width == [2, 3, 1]
