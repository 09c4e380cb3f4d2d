"""The continuation beyond the grid, chosen once per fit on the training loss.

How a spline continues beyond its grid decides how far a hidden layer's values can travel
in the first steps after a grid update.  Measured on pykan's tutorials
(docs/pykan_notebook_runs.md, pykK, pykP, pykU): where the values need about two grid
intervals, the extension's free shape (``"extended_quadratic"``) fits them far better than
the one quadratic; where they need four, it bends back toward 0 and walls them in, and the
fit stalls.  Neither depth nor a distance threshold predicts which: the training loss does.

So, at the fit's first grid update (step 0 in pykan's schedule; the samples then lie inside
every refreshed grid, so switching a layer's continuation does not change the function on
them), the interval up to the next grid update is trained twice from the same state: with
the current continuations, and with every eligible layer switched to the alternative.  The
model keeps the branch whose training objective (data loss plus the fit's penalties: what
the fit minimises) is lower, the current one on a tie; the trials leave the model as they
found it, and the fit takes the kept branch's steps from its trial's record
(:mod:`kanlab.train._fit_trials`) or, where a trial cannot stand for them, trains the interval.  Eligible: B-spline
layers of degree ``k >= 1`` continued otherwise, whose training inputs all lie inside their
grid (a grid update that was damped or skipped can leave some outside; switching those
layers would change the function).

Layer 0 alone is never tried: its inputs are the training samples themselves, which stay
where they are (inside its grid) through the interval, so its continuation cannot change
the trial's loss; the two trials would differ by rounding only (a single-layer ``[1, 1]``
fit spent a fifth of its time on the second, pykan's Example_4 phase diagrams).  It is
switched along with the deeper layers it is eligible with, as before.

The data loss alone is not enough: under a sparsity penalty (pykan's intro, ``λ = 0.01``)
the extension's shape lowers the RMSE of the first interval (0.11 against 0.14) while the
penalised objective is far higher (0.28 against 0.16), and the fit it leads to keeps two
hidden nodes where one suffices.
"""
from __future__ import annotations

import math
import warnings
from typing import Callable

import torch
from torch import Tensor

from kanlab._validation import NonFiniteError
from kanlab.train._rollback import snapshot

__all__ = ["continuations", "switchable_layers", "set_continuations", "choose_continuation",
           "beyond_widths", "widths_beyond", "GROWS_QUADRATICALLY"]

# the continuations whose growth beyond the grid (s''·d²/2) `far` replaces
GROWS_QUADRATICALLY = ("quadratic", "extended_quadratic")


def beyond_widths(layer, h: Tensor) -> float:
    """How far the furthest of ``h`` ``(B, in)`` lies beyond ``layer``'s base interval, in
    widths of that interval (per input; 0 inside)."""
    knots, k = layer.knots, layer.k
    n = knots.shape[-1] - k - 1
    low, high = knots[:, k], knots[:, n]
    width = (high - low).clamp(min=torch.finfo(knots.dtype).tiny)
    h = h.to(knots)
    return float(torch.maximum((low - h) / width, (h - high) / width).clamp(min=0).max())


@torch.no_grad()
def widths_beyond(model, x: Tensor) -> list[float]:
    """:func:`beyond_widths` of every layer of ``model`` on ``x`` ``(N, n_in)`` (``inf``
    throughout when the network does not evaluate finite)."""
    try:  # a masked reader's spline reads its node unmoved once unfixed
        inputs = model.written_inputs(x)  # (kanlab.nn._symbolic_offsets)
    except NonFiniteError:  # a hidden layer overflowed
        return [math.inf] * len(model.layers)
    return [beyond_widths(layer, h) for layer, h in zip(model.layers, inputs)]


@torch.no_grad()
def switchable_layers(model, x: Tensor, to: str) -> list[int]:
    """Layers of ``model`` whose continuation can become ``to`` without changing the
    network's function on ``x`` ``(N, n_in)``: B-spline layers with ``k >= 1`` continued
    otherwise, every input of which (on ``x``) lies inside their grid."""
    inputs = model.written_inputs(x)  # as widths_beyond
    chosen = []
    for l, (layer, h) in enumerate(zip(model.layers, inputs)):
        if layer.extrapolate == to or layer.basis_name != "bspline" or layer.k < 1:
            continue
        knots, k = layer.knots, layer.k
        n = knots.shape[-1] - k - 1
        if bool(((h >= knots[:, k]) & (h <= knots[:, n])).all()):
            chosen.append(l)
    return chosen


def continuations(model) -> list[str]:
    """Each layer's continuation beyond its grid (``extrapolate``)."""
    return [layer.extrapolate for layer in model.layers]


def set_continuations(model, per_layer: list[str]) -> None:
    """Give layer ``l`` of ``model`` the continuation ``per_layer[l]`` (the network's
    ``extrapolate`` setting follows: one string when they agree, else one per layer)."""
    for layer, how in zip(model.layers, per_layer):
        layer.extrapolate = how
    model.extrapolate = per_layer[0] if len(set(per_layer)) == 1 else list(per_layer)


def choose_continuation(model, x: Tensor, to: str, trial: Callable[[], float],
                        decisive: tuple[str, float] | None = None,
                        far: tuple[str, float] | None = None) -> list[int]:
    """Switch the eligible layers of ``model`` (:func:`switchable_layers` on ``x``) to ``to``
    when that lowers the training loss of the interval ahead; returns the layers switched.

    ``decisive = (name, factor)`` adds a third branch, the eligible layers switched to
    ``name``, kept only when its loss is under ``factor`` times the better of the other two
    (``FitConfig.choose_continuation_decisive``).

    ``far = (name, widths)``: the layers whose inputs the kept branch's trial sent more than
    ``widths`` widths of their grid beyond it (and that lay inside it here), on a
    continuation that grows as the square of the distance there
    (:data:`GROWS_QUADRATICALLY`), continue as ``name`` instead
    (``FitConfig.choose_continuation_far``); they are among the layers returned.

    ``trial()`` trains the interval from the model's current state and returns its training
    loss (``inf`` when it does not evaluate); it is run once per branch, and the model's
    state is put back after each, so the model leaves here in the state it came in, with
    the continuations of the branch kept.
    """
    current = continuations(model)
    branches = [(current, [])]
    for name in (to,) + ((decisive[0],) if decisive else ()):
        layers = switchable_layers(model, x, name)
        if any(l > 0 for l in layers):  # see the module's note on layer 0
            branches.append(([name if l in layers else how for l, how in enumerate(current)],
                             layers))
        else:
            branches.append(None)
    if all(b is None for b in branches[1:]):
        return []
    farther = switchable_layers(model, x, far[0]) if far else []
    start = snapshot(model)  # with its metadata (SymbolicEdges.moved_offsets)
    scores, reach = [], []
    for branch in branches:
        if branch is None:
            scores.append(math.inf)
            reach.append(None)
            continue
        set_continuations(model, branch[0])
        with warnings.catch_warnings():  # the trials' own diagnostics are not the fit's
            warnings.simplefilter("ignore")
            scores.append(trial())
        reach.append(widths_beyond(model, x) if farther else None)
        model.load_state_dict(start)  # knots too (the layers refresh their tables)
    keep = 1 if scores[1] < scores[0] else 0
    if decisive and scores[2] < decisive[1] * scores[keep]:
        keep = 2
    per_layer, switched = list(branches[keep][0]), list(branches[keep][1])
    for l in farther:  # a continuation that is bounded beyond the grid lets them wander
        if (per_layer[l] in GROWS_QUADRATICALLY and math.isfinite(scores[keep])
                and reach[keep][l] > far[1]):
            per_layer[l] = far[0]
            switched = sorted(set(switched) | {l})
    set_continuations(model, per_layer)
    return switched
