"""``kan.LBFGS``: see :class:`kanlab.pykan.LBFGS`."""
from kanlab.pykan._lbfgs import LBFGS

__all__ = ["LBFGS"]
