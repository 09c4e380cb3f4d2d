"""kanlab.pykan's continuation beyond the grid over a model's life: whether a fit chooses
it (:class:`kanlab.train.FitConfig`'s ``choose_continuation``), what the fits chose
(``model.chosen_continuations``), what ``refine`` gives back (``continuation_fixed``), and
what a model continues with until its grids are first placed on data (``grids_placed``),
and what a model trained by pykan continues with (``as_pykans``)."""
from __future__ import annotations

from kanlab.train._continuation_choice import set_continuations

__all__ = ["DEFAULT_CONTINUATION", "UNPLACED_CONTINUATION", "chooses", "record_choice",
           "after_refine", "grids_placed", "as_pykans"]

# kanlab.pykan.KAN's continuation once a grid update has placed its grids on the data
# (unless given one: KAN(extrapolate=...)), and what a fit's choice starts from and refine
# gives back (docs/pykan_notebook_runs.md, taper)
DEFAULT_CONTINUATION = "quadratic"
# ... and until then: pykan's own spline (live on the k extension intervals, 0 beyond), so
# the model computes what pykan's computes.  The quadratic's end curvature grows as d²/2
# beyond the grid: it carries hidden values about two intervals past a grid the last update
# placed on them, but code that trains without ever updating the grid (a user's own torch
# loop, fit(update_grid=False)) holds its data where it lies, often many intervals beyond the
# [-1, 1] pykan puts there, and there that leverage made the fits ill-conditioned: a square
# wave on [-2π, 2π] in an AdamW loop 0.46 (pykan 0.096), Adam at lr = 1 on [2, 30, 30, 1]
# 3.6e7 (pykan 50.5) (docs/pykan_notebook_runs.md, ownloop).
UNPLACED_CONTINUATION = "extended"


def chooses(model, choice: str) -> bool:
    """Whether a fit chooses the continuation (``choice`` against the default): every layer
    on the default, or on what an earlier fit chose for it.  A continuation the user built
    the model with stays, and a refined model's fits choose no more (``continuation_fixed``)."""
    chosen = set(getattr(model, "chosen_continuations", None) or ())
    unplaced = getattr(model, "continuation_unplaced", False)  # the default once placed
    return not getattr(model, "continuation_fixed", False) and all(
        how == DEFAULT_CONTINUATION or (how == choice and l in chosen)
        or (unplaced and how == UNPLACED_CONTINUATION)
        for l, how in enumerate(layer.extrapolate for layer in model.layers))


def record_choice(model, switched: list[int]) -> None:
    """Add the layers a fit ``switched`` to those the model's fits have chosen."""
    model.chosen_continuations = sorted(
        set(getattr(model, "chosen_continuations", None) or ()) | set(switched))


def after_refine(new, chosen: list[int]) -> None:
    """The continuation of a refined model whose fits have chosen one
    (kanlab.pykan._fit_settings's CONTINUATION_CHOICE): the layers they switched go back to
    the default, and its fits choose no more.

    The choice is made on the first interval after a grid update of a model's first grid,
    where the hidden values must travel about two intervals beyond it (pykU).  After
    ``refine`` they need not travel: the grid spans the same range, in finer intervals, and
    what the continuation decides is how rows beyond the training rows' hidden range (a
    thin corner's test rows) are extrapolated, which the training objective does not see.
    There the extension's free end coefficients on intervals of the fine grid, and the end
    curvature handed over beyond them, missed by up to 0.7 where the quadratic continuation
    of the coarse fit's ends did not: on pykan's refine loop (G = 3 -> 10 -> 20, 500 rows,
    seeds 0-2) test RMSE ×31-121 of pykan 0.2.8's with the choice kept, ×1.0-1.5 with this
    (docs/pykan_notebook_runs.md, thin).
    """
    if any(l < len(new.layers) for l in chosen):
        set_continuations(new, [DEFAULT_CONTINUATION if l in chosen else layer.extrapolate
                                for l, layer in enumerate(new.layers)])
    new.chosen_continuations, new.continuation_fixed = [], True


def grids_placed(model) -> None:
    """A grid update is about to place ``model``'s grids on data (``update_grid``, a ``fit``
    that updates grids, or its step-0 branch that skips the update,
    ``initialize_grid_from_another_model``): a model still on the
    continuation it was built with by default (``continuation_unplaced``) takes
    :data:`DEFAULT_CONTINUATION` first, so the update, and everything after it, is what it was
    before the unplaced continuation was pykan's.  Once only: layers given another
    continuation since (``set_continuations``, a loaded state dict) keep it."""
    if getattr(model, "continuation_unplaced", False):
        set_continuations(model, [DEFAULT_CONTINUATION if layer.extrapolate ==
                                  UNPLACED_CONTINUATION else layer.extrapolate
                                  for layer in model.layers])
    model.continuation_unplaced = False


def as_pykans(model) -> None:
    """Continue every spline beyond its grid as pykan's does (``"extended"``: live on the
    ``k`` extension intervals, 0 beyond), with no fit's choice on record: what a model
    holding pykan's tensors (``loadckpt`` of pykan's files, ``load_state_dict`` of pykan's
    keys) computes.

    Under this module's quadratic default a model trained by pykan computes another
    function wherever its values leave the grid (hidden values often do: up to 274 apart at
    ±3 for a ``[2, 5, 1]`` fit, 8e-3 inside ``[-1, 1]²``; docs/pykan_notebook_runs.md,
    ckpt).  The fits keep a continuation other than the default (:func:`chooses`)."""
    set_continuations(model, ["extended"] * len(model.layers))
    model.chosen_continuations, model.continuation_fixed = None, False
    model.continuation_unplaced = False
