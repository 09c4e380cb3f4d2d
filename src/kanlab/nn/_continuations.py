"""Which continuation beyond the grid each layer of a network gets, by its depth.

A layer fed by the inputs or by one spline layer continues on pykan's extension
intervals (``"extended_quadratic"``: the end coefficients shape the spline there, handing
over to the quadratic continuation across the outermost interval); a layer fed through
two or more spline layers continues quadratically.  Why (docs/pykan_notebook_runs.md, pykP):

* the schedule's first grid update fits every hidden grid to the untrained network's
  hidden values; the first steps then carry them beyond it.  One spline layer deep they
  stay within about two grid intervals (``[2, 1, 1]``: 95 % of them, at most 1.7 h), where
  the extension's free shape fits them (RMSE 0.015 against 0.044 quadratic after 20 steps,
  on four draws of four);
* through two spline layers they travel further (``[4, 2, 1, 1]``'s last layer: 96 % beyond
  the grid, 31 % beyond the outermost knot, up to 3.5 h in 5 steps).  The extension's shape
  bends back toward 0 before its outermost knot and walls them in: the fit stalls at RMSE
  0.41 (0.016 with the quadratic there).
"""
from __future__ import annotations

__all__ = ["continuation_by_depth", "NEAR", "DEEP"]

NEAR = "extended_quadratic"  # layers fed by the inputs or one spline layer
DEEP = "quadratic"  # layers fed through two or more spline layers


def continuation_by_depth(n_layers: int) -> list[str]:
    """The continuation of each of ``n_layers`` layers, input layer first."""
    return [NEAR if l < 2 else DEEP for l in range(n_layers)]
