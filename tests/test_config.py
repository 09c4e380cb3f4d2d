"""The switchboard: kanlab.config's setters, context managers and their checks."""
import pytest
import torch

import kanlab
from kanlab import config
from kanlab.ops import _strategies


def _layer_input():
    layer = kanlab.KANLayer(40, 16, grid=5, k=3, dtype=torch.float64)
    return layer, torch.rand(64, 40, dtype=torch.float64) * 2 - 1


def test_use_restores_every_switch():
    """``config.use`` changes switches inside the block and restores them after it."""
    before = config.get()
    with config.use(strategy="dense", checks=False, local_rows=8):
        assert config.get().strategy == "dense" and not config.get().checks
        assert config.get().local_rows == 8
    assert config.get() == before


def test_use_restores_after_an_exception():
    """An exception inside the block still restores the switches."""
    before = config.get()
    with pytest.raises(RuntimeError), config.use(kernels=False):
        raise RuntimeError("boom")
    assert config.get() == before


@pytest.mark.parametrize("changes, error", [({"strategy": "fast"}, ValueError),
                                            ({"checks": 1}, TypeError),
                                            ({"feature_block": 0}, ValueError),
                                            ({"local_rows": -1}, ValueError),
                                            ({"colour": "red"}, TypeError)])
def test_bad_switches_are_refused(changes, error):
    """Unknown switches and values outside their range raise and change nothing."""
    before = config.get()
    with pytest.raises(error):
        config.set(**changes)
    assert config.get() == before


@pytest.mark.parametrize("strategy, local", [("dense", False), ("local", True)])
def test_strategy_switch_reaches_the_plan(kanlab_config, strategy, local):
    """Forcing a strategy through the switchboard changes the kernels' plan."""
    layer, x = _layer_input()
    kanlab_config(strategy=strategy)
    assert _strategies.Plan(x, layer.coef, layer.spline_spec()).local is local


def test_kernels_switch_turns_the_extension_off(kanlab_config):
    """``kernels=False`` makes the op take the pure-PyTorch path, with the same values."""
    from kanlab.ops import extension_disabled, kernels_usable
    layer, x = _layer_input()
    fast = layer(x)
    kanlab_config(kernels=False)
    assert extension_disabled()
    assert not kernels_usable(x, layer.spline_spec(), layer.coef)
    torch.testing.assert_close(layer(x), fast, rtol=1e-12, atol=1e-12)


def test_checks_switch_skips_the_value_scan(kanlab_config):
    """With checks off a NaN input passes the layer's check; with them on it raises."""
    layer, x = _layer_input()
    x[0, 0] = float("nan")
    with pytest.raises(kanlab.NonFiniteError):
        layer(x)
    with kanlab.checks(False):
        layer(x)
    assert config.checks_enabled()
