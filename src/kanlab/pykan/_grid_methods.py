"""kanlab.pykan's grid updates: pykan's ``update_grid`` / ``update_grid_from_samples``
(a subclass's own ``update_grid_from_samples`` is honoured, as in pykan's ``fit``) and
``initialize_grid_from_another_model``, on the engine's update."""
from __future__ import annotations

from kanlab.pykan import _grid_hook, _unseen_splines
from kanlab.pykan._continuation import grids_placed

__all__ = ["GridMethods"]


class GridMethods:
    """The grid methods of :class:`kanlab.pykan.KAN` (a mixin before the engine's KAN)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _grid_hook.accept_fit_settings(cls)  # a subclass's pykan-style update_grid(self, x)

    def update_grid_from_samples(self, x) -> None:
        """pykan's direct update: every grid spans its samples as pykan's does, without the
        model's :attr:`grid_floor`.  The floor is for ``fit``'s updates, where a penalty fades
        hidden nodes; a user's own loop calls this one (pykan's PDE notebooks, between L-BFGS
        steps) and may hold a node it keeps small on purpose: Interp_3A's perturbed node
        spans 5e-5, and widened to 1 % of its layer (0.044) its PDE fit stalled at the first
        step's 0.141 (100 steps; without the floor 0.032, the notebook 0.074)."""
        had, floor = "grid_floor" in self.__dict__, self.grid_floor
        self.grid_floor = None
        try:
            self.update_grid(self._data(x))
        finally:
            if had:
                self.grid_floor = floor
            else:
                del self.grid_floor

    def update_grid(self, x, grid_eps=None, max_change=None, carry=False) -> None:
        if _grid_hook.handed_to_override(self, GridMethods, x, (grid_eps, max_change, carry)):
            return  # a subclass's update_grid_from_samples ran, as in pykan's fit
        grid_eps, max_change, carry = _grid_hook.settings_inside(self, (grid_eps, max_change, carry))
        # grid_eps None: pykan's, each layer's own (model.act_fun[l].grid_eps = ...), else the
        # model's (the engine's update_grid reads them)
        x = self._data(x)
        if self.continuation_unplaced:  # a fresh model's first placement: whole, unguarded
            max_change = None  # (the guard keeps a trained network's function; this one has
            # none yet, and grids kept on [-1, 1] under inputs on [-2, 2] would stay there)
        # refitted to what the model computes (pykan's continuation until placed; the splines
        # no output sees to their own smooth one: _unseen_splines), then placed: every grid
        # spans its samples, where the switch changes nothing
        def engine() -> None:
            super(GridMethods, self).update_grid(x, grid_eps, max_change, carry)
        hidden = _unseen_splines.unseen(self) if self.continuation_unplaced else None
        smooth = _unseen_splines.smooth_refit(self, engine) if hidden else None
        engine()
        grids_placed(self)
        if hidden:
            _unseen_splines.refit_unseen(self, hidden, smooth)
        self.reference_input = x.detach()  # as pykan's forward pass in update_grid keeps it

    def initialize_grid_from_another_model(self, model, x):
        """pykan's: grids from ``model``'s, splines fitted to its on ``x`` (``_initialize``)."""
        from kanlab.pykan._initialize import grids_from
        x = self._data(x)
        grids_placed(self)
        grids_from(self, model, x)
        self.reference_input = x.detach()  # returns None, as pykan's
