"""The import layers hold: every module imports only from its own layer or below."""
import pytest

from layers import LAYERS, PACKAGE, check_package, check_source, layer_of, module_name


def test_package_follows_the_layers():
    """No module of kanlab imports a higher (or sibling) layer."""
    violations = check_package()
    assert not violations, "\n".join(map(str, violations))


def test_every_module_has_a_layer():
    """Each file under src/kanlab belongs to one declared layer."""
    for path in PACKAGE.rglob("*.py"):
        layer_of(module_name(path))  # raises LookupError when it has none


def test_upward_import_is_caught():
    """A spline module importing nn (a deliberately wrong import) is reported."""
    bad = "from kanlab.nn import KAN\n"
    (v,) = check_source(bad, "kanlab.splines._bspline")
    assert v.imported == "kanlab.nn" and "higher layer" in v.why


def test_lazy_upward_import_is_caught_outside_the_mixin():
    """An import inside a function counts too, except in the methods mixin."""
    bad = "def f():\n    from kanlab.plotting import plot_network\n"
    assert check_source(bad, "kanlab.nn._layer")
    assert not check_source(bad, "kanlab.nn._methods")
    assert check_source(bad.replace("def f():\n    ", ""), "kanlab.nn._methods")


def test_relative_and_sibling_imports_are_resolved():
    """``from ..train import fit`` in io resolves to a sibling layer and is refused."""
    bad = "from ..train import fit\n"
    (v,) = check_source(bad, "kanlab.io._checkpoint")
    assert "sibling" in v.why


def test_layers_are_disjoint():
    """No container is declared twice."""
    names = [n for layer in LAYERS for n in layer]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("module", ["kanlab.splines", "kanlab.ops", "kanlab.nn"])
def test_downward_import_is_allowed(module):
    """Importing a lower layer is fine."""
    assert not check_source("from kanlab.splines import bspline_basis\n", module + "._x")
