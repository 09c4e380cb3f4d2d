"""``kan.MLP``: importable, not provided.

pykan's notebooks import ``from kan.MLP import MLP`` next to ``KAN`` even where they
only train KANs (Interp_10_hessian), so the import succeeds; building an ``MLP``
raises, saying so (kanlab implements KANs only; use ``torch.nn`` for a plain MLP).
"""
from __future__ import annotations

__all__ = ["MLP"]


class MLP:
    """pykan's multilayer perceptron: not provided by kanlab.pykan."""

    def __init__(self, *args, **kwargs) -> None:
        raise NotImplementedError("kanlab.pykan does not provide kan.MLP (kanlab implements "
                                  "KANs); build a plain MLP with torch.nn.Sequential instead")
