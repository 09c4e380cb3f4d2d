"""How much of the data lies outside the grids.

Outside its base interval ``[knots[:, k], knots[:, G + k]]`` a spline
continues as a straight line (see :class:`kanlab.KANLayer`): the output stays
finite and C¹, but the spline has no resolution there.  These functions count
such inputs so a user (and :func:`kanlab.fit`, which warns past
:data:`OUT_OF_GRID_WARN`) can tell when the grid should follow the data.
"""
from __future__ import annotations

import warnings

import torch
from torch import Tensor

from kanlab._validation import check_samples

__all__ = ["out_of_grid", "out_of_grid_fraction", "warn_out_of_grid", "OUT_OF_GRID_WARN"]

# fit warns when more than this share of the training samples of some input
# lies outside the first layer's grid once no grid update is left to fix it
OUT_OF_GRID_WARN = 0.05


def _layers(model) -> list:
    layers = getattr(model, "layers", None)
    if layers is None:
        if not hasattr(model, "knots"):
            raise TypeError(f"expected a KAN or a KANLayer, got {type(model).__name__}")
        return [model]
    return list(layers)


@torch.no_grad()
def out_of_grid(model, x: Tensor) -> list[Tensor]:
    """Per layer and input, how many samples lie outside the grid's base interval.

    Parameters
    ----------
    model
        a :class:`kanlab.KAN` or a single :class:`kanlab.KANLayer`.
    x
        ``(B, n_in)`` finite samples of the model's dtype.

    Returns
    -------
    list[Tensor]
        One int64 tensor ``(in_features,)`` per layer: ``counts[l][i]`` samples
        of layer ``l``'s input ``i`` fall below ``knots[i, k]`` or above
        ``knots[i, G + k]`` (each layer fed the previous layer's output).

    Examples
    --------
    >>> import kanlab
    >>> model = kanlab.KAN([1, 1], grid=4, dtype=torch.float64)  # grid on [-1, 1]
    >>> out_of_grid(model, torch.tensor([[-2.0], [0.0], [0.5], [3.0]], dtype=torch.float64))
    [tensor([2])]
    """
    layers = _layers(model)
    check_samples(x, layers[0].in_features, layers[0].knots.dtype, "out_of_grid",
                  layers[0].knots.device)
    counts = []
    for layer in layers:
        k, n = layer.k, layer.knots.shape[-1] - layer.k - 1
        outside = (x < layer.knots[:, k]) | (x > layer.knots[:, n])  # (B, in)
        counts.append(outside.sum(0))
        x = layer(x)
    return counts


def out_of_grid_fraction(model, x: Tensor) -> list[Tensor]:
    """:func:`out_of_grid` divided by the number of samples: float ``(in_features,)`` per layer."""
    return [c.to(x.dtype) / x.shape[0] for c in out_of_grid(model, x)]


def warn_out_of_grid(model, x: Tensor, when: str, threshold: float = OUT_OF_GRID_WARN,
                     stacklevel: int = 3) -> bool:
    """Warn (``RuntimeWarning``) if more than ``threshold`` of some first-layer input is off-grid.

    Parameters
    ----------
    model : KAN
        Its first layer's grid is the one checked.
    x : Tensor, shape (B, n_in)
        The training inputs.
    when
        a phrase for the message, e.g. ``"with update_grid=False"``.
    threshold
        share of samples, in ``[0, 1]``.

    Returns
    -------
    bool
        Whether a warning was issued.
    """
    layer = _layers(model)[0]
    frac = out_of_grid_fraction(layer, x)[0]
    bad = (frac > threshold).nonzero().flatten().tolist()
    if not bad:
        return False
    shares = ", ".join(f"input {i}: {100 * float(frac[i]):.1f}%" for i in bad)
    warnings.warn(f"{shares} of the training samples lie outside the first layer's grid "
                  f"{when}; there the splines are straight lines.  Call model.update_grid(x), "
                  "enable update_grid, or rescale the inputs", RuntimeWarning,
                  stacklevel=stacklevel)
    return True
