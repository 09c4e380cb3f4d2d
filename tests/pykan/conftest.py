"""Fixtures shared by the pykan adapter's tests."""
import pytest

from kanlab.pykan import _symbolic_names
from kanlab.symbolic import LIBRARY


@pytest.fixture
def restore_library():
    """The library, the table's additions and removals as they were before the test."""
    library = dict(LIBRARY)
    added, removed = dict(_symbolic_names._USER_NAMES), set(_symbolic_names._REMOVED)
    yield
    LIBRARY.clear()
    LIBRARY.update(library)
    _symbolic_names._USER_NAMES.clear()
    _symbolic_names._USER_NAMES.update(added)
    _symbolic_names._REMOVED.clear()
    _symbolic_names._REMOVED.update(removed)
