"""``kan.MultKAN``: the model class (see :mod:`kanlab.pykan._model`)."""
from kanlab.pykan._model import KAN, MultKAN

__all__ = ["KAN", "MultKAN"]
