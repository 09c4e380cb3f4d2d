"""The fused KAN layer op: ``kan_linear(x, ...)`` is to :class:`kanlab.nn.KANLayer` what
:func:`torch.nn.functional.linear` is to :class:`torch.nn.Linear`.

The C++ kernels (``csrc/``) are built on first use; the pure-PyTorch reference
stands beside them in the same function and is the fallback everywhere else.
"""
from kanlab.ops._base_functions import BASE_FUNCTIONS, BaseFunction, resolve_base_fun
from kanlab.ops._extension import disabled as extension_disabled
from kanlab.ops._extension import status as extension_status
from kanlab.ops._kan_linear import kan_linear, kernels_usable

__all__ = ["kan_linear", "kernels_usable", "extension_status", "extension_disabled",
           "BASE_FUNCTIONS", "BaseFunction", "resolve_base_fun"]
