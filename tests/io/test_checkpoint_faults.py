"""Checkpoints under faults: flipped bits, NaN, crafted sizes, FIFOs, deep JSON, symlinks."""
import hashlib
import json
import os
import pathlib
import random
import threading
import time

import pytest
import torch

from kanlab import KAN
from kanlab.io._checkpoint import load


def _split(path):
    raw = pathlib.Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8:8 + n]), raw[8 + n:], 8 + n


def _write(path, header, data, rehash=True):
    if rehash:
        header["__metadata__"]["data_sha256"] = hashlib.sha256(data).hexdigest()
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    pathlib.Path(path).write_bytes(len(text).to_bytes(8, "little") + text + data)


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / "m.kan"
    KAN([2, 3, 1], grid=5, seed=0, dtype=torch.float64).save(path)
    return path


def test_sampled_bit_flips_in_the_data_are_detected(ckpt):
    """200 random single-bit flips in the data section: every one is refused (SHA-256)."""
    raw = bytearray(ckpt.read_bytes())
    _, data, start = _split(ckpt)
    rng = random.Random(0)
    for bit in rng.sample(range(8 * len(data)), 200):
        flipped = bytearray(raw)
        flipped[start + bit // 8] ^= 1 << (bit % 8)
        ckpt.write_bytes(bytes(flipped))
        with pytest.raises(ValueError, match="m.kan.*SHA-256"):
            load(ckpt)
    ckpt.write_bytes(bytes(raw))
    load(ckpt)  # the intact file still loads


def test_non_finite_values_are_refused_even_with_a_matching_hash(ckpt):
    header, data, _ = _split(ckpt)
    begin, end = header["layers.0.scale_sp"]["data_offsets"]
    data = bytearray(data)
    data[begin:begin + 8] = torch.tensor([float("inf")], dtype=torch.float64).numpy().tobytes()
    _write(ckpt, header, bytes(data))
    with pytest.raises(ValueError, match="layers.0.scale_sp.*non-finite"):
        load(ckpt)


def test_crafted_width_is_refused_before_allocating(ckpt):
    """A small file declaring width [1, 10**6, 1] or grid 10**6 is refused at once."""
    header, data, _ = _split(ckpt)
    config = json.loads(header["__metadata__"]["config"])
    for change in ({"width": [2, 1_000_000, 1]}, {"grid": 1_000_000},
                   {"width": [4096, 4096, 1]}, {"mult_arity": 10**9, "width": [2, [0, 3], 1]}):
        header["__metadata__"]["config"] = json.dumps(config | change)
        _write(ckpt, header, data)
        start = time.perf_counter()
        with pytest.raises(ValueError, match="m.kan"):
            load(ckpt)
        assert time.perf_counter() - start < 2.0, change


def test_deeply_nested_json_is_a_value_error(ckpt):
    header, data, _ = _split(ckpt)
    header["__metadata__"]["config"] = "[" * 100_000 + "]" * 100_000
    _write(ckpt, header, data)
    with pytest.raises(ValueError, match="m.kan.*JSON"):
        load(ckpt)
    deep = "[" * 100_000 + "]" * 100_000
    text = ('{"a":' + deep + "}").encode()
    text += b" " * (-len(text) % 8)
    ckpt.write_bytes(len(text).to_bytes(8, "little") + text)
    with pytest.raises(ValueError, match="m.kan.*JSON"):
        load(ckpt)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.kan"
    os.mkfifo(fifo)
    result = {}

    def target():
        try:
            load(fifo)
        except ValueError as err:
            result["err"] = str(err)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive(), "load blocked on a FIFO"
    assert "not a regular file" in result["err"]
    with pytest.raises(ValueError, match="not a regular file"):
        load(tmp_path)


def test_map_location_of_the_wrong_type_blames_the_argument(ckpt):
    with pytest.raises(TypeError, match="map_location must be a device.*float32"):
        load(ckpt, map_location=torch.float32)
    assert load(ckpt, map_location="cpu").device.type == "cpu"


def test_save_through_a_symlink_replaces_the_target(tmp_path):
    target = tmp_path / "real" / "m.kan"
    target.parent.mkdir()
    model = KAN([2, 3, 1], grid=5, seed=0, dtype=torch.float64)
    model.save(target)
    link = tmp_path / "link.kan"
    link.symlink_to(target)
    model.refine(10).save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load(target).grid == 10 and load(link).grid == 10
    assert sorted(os.listdir(target.parent)) == ["m.kan"]
