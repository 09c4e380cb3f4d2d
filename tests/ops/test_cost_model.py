"""The strategy cost model's constants per CPU (ops/_strategies._simd_costs)."""
import pytest
import torch

from kanlab.ops import _strategies


@pytest.fixture
def cpu(monkeypatch):
    """Pretend to be a CPU of the given instruction set and vendor."""
    def use(capability, vendor):
        monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
        monkeypatch.setattr(_strategies, "_cpu_vendor", lambda: vendor)
        _strategies._simd_costs.cache_clear()
        _strategies._local_pays.cache_clear()
    yield use
    monkeypatch.undo()
    _strategies._simd_costs.cache_clear()
    _strategies._local_pays.cache_clear()


def test_wide_layer_takes_local_kernels_on_amd_avx512_only(cpu):
    """[1024,1024], G=5, k=3, float32: local on an AVX-512 AMD CPU (measured faster there),
    dense on an AVX-512 Intel CPU and on AVX2 (measured faster there)."""
    args = (1024, 8, 3, True, 4, True, 1024 * 1024)
    cpu("AVX512", "AuthenticAMD")
    assert _strategies._local_pays(*args)
    cpu("AVX512", "GenuineIntel")
    assert not _strategies._local_pays(*args)
    cpu("AVX2", "AuthenticAMD")
    assert not _strategies._local_pays(*args)


def test_vendor_is_read_or_empty():
    vendor = _strategies._cpu_vendor()
    assert isinstance(vendor, str)
    assert vendor == "" or vendor.isidentifier()
