"""pykan's ``KAN``/``MultKAN`` class on kanlab's engine.

:class:`KAN` subclasses :class:`kanlab.nn.KAN`: the layers, the forward pass,
grids, pruning and symbolic edges are kanlab's.  This class only translates
pykan's arguments and return values and adds pykan's habits:

* the last input a forward pass saw is kept (``save_act``), so ``model(x)``
  followed by ``plot()``, ``prune()`` or ``auto_symbolic()`` scores on ``x``;
* ``auto_save`` (on by default, as in pykan) writes a checkpoint after every
  step that changes the model (:mod:`kanlab.pykan._checkpoints`: where, and
  how to turn it off).

Where pykan's behaviour is a bug kanlab keeps its own: ``refine`` keeps the
function, a grid update keeps each layer's function and range.  A grid update spans every sample, as
pykan's does (``grid_fence = None``; kanlab's own models leave far outliers out).
"""
from __future__ import annotations


import numpy as np
import torch
from torch import Tensor

from kanlab._compat import recording_graph
from kanlab._validation import NoDataError
from kanlab.nn import KAN as _NativeKAN
from kanlab.nn import attribute as _attribute
from kanlab.nn import prune_input as _prune_input
from kanlab.nn import remove_edge as _remove_edge
from kanlab.pykan import _legacy, _unbuilt, _views
from kanlab.pykan._acts import ActivationCaches, assigned_input
from kanlab.pykan._args import as_int
from kanlab.pykan._checkpoints import Checkpoints
from kanlab.pykan._continuation import UNPLACED_CONTINUATION, after_refine
from kanlab.pykan._extras import PykanExtras
from kanlab.pykan._grid_methods import GridMethods
from kanlab.pykan._input_ids import own_columns
from kanlab.pykan._old_api import OLD_FIT_KEYWORDS, OldApi, old_fit_kwargs, save_act_of
from kanlab.pykan._readouts import Readouts
from kanlab.pykan._structure_methods import StructureMethods
from kanlab.pykan._symbolic_methods import SymbolicMethods
from kanlab.pykan._view_modules import ViewedModules
from kanlab.pykan._width import read_only_width

__all__ = ["KAN", "MultKAN", "adopt"]

# pykan-only attributes carried over when kanlab returns a new model (prune, refine, copy)
_PYKAN_ATTRS = ("auto_save", "ckpt_path", "round", "state_id", "save_act", "symbolic_enabled",
                "node_scores", "edge_scores", "subnode_scores", "history_log",
                "chosen_continuations", "continuation_fixed", "continuation_unplaced",
                "data_columns")


def _width(width):
    if width is None:
        raise ValueError("width is required, e.g. KAN(width=[2, 5, 1])")
    out = []
    for w in width:
        if isinstance(w, (list, tuple, np.ndarray)):
            out.append([as_int("width entry", v) for v in w])
        else:
            out.append(as_int("width entry", w))
    return out


def _arity(mult_arity):
    """pykan's ``mult_arity``: an int, or per-level lists of ints (numpy ints accepted)."""
    if isinstance(mult_arity, (list, tuple, np.ndarray)):
        return [_arity(v) for v in mult_arity]
    return as_int("mult_arity", mult_arity)


def adopt(new: _NativeKAN, template=None) -> "KAN":
    """Make a kanlab model (e.g. from ``prune``) a pykan-style one, in place."""
    new.__class__ = KAN
    for name in _PYKAN_ATTRS:
        default = {"auto_save": False, "ckpt_path": "./model", "round": 0, "state_id": 0,
                   "save_act": True, "symbolic_enabled": True}.get(name)
        setattr(new, name, getattr(template, name, default) if template is not None else default)
    return new


class MultKAN(OldApi, Checkpoints, Readouts, PykanExtras, ActivationCaches, SymbolicMethods,
          StructureMethods, GridMethods, ViewedModules, _NativeKAN):
    """pykan's ``MultKAN`` with its constructor arguments, on kanlab's engine.

    The defaults are pykan's (``grid_eps=0.02``, ``sb_trainable=True``), and
    ``seed`` draws pykan's initial model (:func:`kanlab.pykan._legacy.draw_initial_weights`):
    with kanlab's own defaults (uniform grids, fixed base weights) and kanlab's own draws,
    6 of 20 seeds of a ``[2, 1, 1]`` chain (pykan's Example_10) stayed in a local minimum
    near RMSE 0.25, against 1 of 20 with pykan's (pykan itself: 2 of 20).  ``symbolic_enabled``
    is accepted (symbolic edges are always on and their constants always trainable);
    ``device`` is honoured.  Older pykan's
    ``noise_scale_base``, inputs of another dtype, ``'cuda'`` on a machine
    without CUDA and pykan's seeding of the global random generators follow the
    rules of :mod:`kanlab.pykan._legacy`; pykan 0.1's methods (``train(dataset)``,
    ``save_ckpt``, ...) those of :mod:`kanlab.pykan._old_api`.  pykan 0.1's
    ``bias_trainable`` is accepted and ignored: as in 0.2.8, a node's bias is zero unless
    ``affine_trainable``.

    ``affine_trainable=True`` trains pykan's scale and bias per subnode and per node
    (``subnode_scale``, ``subnode_bias``, ``node_scale``, ``node_bias``): the engine's
    ``KAN(node_affine=True)`` (:mod:`kanlab.nn._node_affine`); without it they are absent
    (pykan's fixed identity).

    ``sparse_init`` starts sparse (:func:`kanlab.pykan._views.sparse_start`): the splines
    off pykan's nearest-neighbour pattern start at zero weight, every edge stays trainable.

    ``extrapolate`` (kanlab's, not pykan's) sets how the splines continue beyond
    their grids (:class:`kanlab.nn.KANLayer`).  By default ``"extended"`` (pykan's own)
    until a grid update first places the grids on data (``update_grid``, a ``fit`` that
    updates grids), then ``"quadratic"`` (C²; kanlab.pykan._continuation says why); given
    here, a continuation stays: ``"quadratic"``, ``"tapered"`` (C² at the ends, a straight
    line far beyond them: for inputs many intervals out, as in pykan's Community_1;
    docs/pykan_notebook_runs.md, taper), ``"bounded"`` (C² at the ends, levelling off
    about an interval beyond them: for rows far beyond the training range, a forecaster's
    test years; docs/pykan_notebook_runs.md, cont1) or
    ``"extended"``, pykan's own spline (live on the ``k`` extension intervals, 0 beyond
    the outermost knots; docs/pykan_notebook_runs.md, pykK, for what it changes).
    """

    # pykan's update_grid_from_samples spans every sample (min to max); the engine's Tukey
    # fence left Interp_8's skewed γ tail (~3% of the samples, 1.41-1.58) off the grid and
    # cell 9's training loss at ×1.28 of the notebook's, ×1.07 spanning every sample
    # (docs/pykan_notebook_runs.md, fence)
    grid_fence = None
    # a hidden node faded by the penalty keeps a grid of at least 1% of its layer's widest:
    # API_12's λ = 0.01 fit leaves one live hidden node of five, the other four's grids
    # shrank to 2e-5-1e-3 of its width, and the next unpenalised L-BFGS steps crawled along
    # the splines out of them (cell 13 0.0353 -> 0.0185, the notebook 0.0206); hellokan's
    # λ = 1e-3 recipe then gives the formula on 11 of 11 seeds (9 before), pruned to [2, 1, 1]
    # on 8 (6 before; docs/pykan_notebook_runs.md, floor)
    grid_floor = 0.01

    def __init__(self, width=None, grid=3, k=3, mult_arity=2, noise_scale=0.3,
                 scale_base_mu=0.0, scale_base_sigma=1.0, base_fun="silu", symbolic_enabled=True,
                 affine_trainable=False, grid_eps=0.02, grid_range=(-1, 1), sp_trainable=True,
                 sb_trainable=True, seed=1, save_act=True, sparse_init=False, auto_save=True,
                 first_init=True, ckpt_path="./model", state_id=0, round=0, device="cpu",
                 dtype=None, noise_scale_base=None, extrapolate=None,
                 bias_trainable=None, save_plot_data=None):
        device = _legacy.available_device(device)
        _legacy.seed_globals(as_int("seed", seed))  # pykan's side effect (see _legacy)
        super().__init__(_width(width), grid=as_int("grid", grid), k=as_int("k", k),
                         seed=as_int("seed", seed), base_fun=base_fun,
                         grid_range=[float(v) for v in np.asarray(grid_range).ravel()][:2]
                         if np.asarray(grid_range).ndim == 1 else grid_range,
                         grid_eps=float(grid_eps),
                         noise_scale=float(noise_scale),
                         sb_trainable=bool(sb_trainable),
                         sp_trainable=bool(sp_trainable), mult_arity=_arity(mult_arity),
                         extrapolate=UNPLACED_CONTINUATION if extrapolate is None
                         else extrapolate, node_affine=bool(affine_trainable), device=device,
                         dtype=dtype)
        self.continuation_unplaced = extrapolate is None  # until grids_placed
        if self.basis_name == "bspline":
            _legacy.draw_initial_weights(self, as_int("seed", seed), float(noise_scale),
                                         float(scale_base_mu), float(scale_base_sigma))
        if sparse_init:
            _views.sparse_start(self)
        if noise_scale_base is not None:
            _legacy.apply_noise_scale_base(self, noise_scale_base, seed)
        self.symbolic_enabled = bool(symbolic_enabled)
        self.save_act = bool(save_act if save_plot_data is None
                             else save_act_of(save_act, save_plot_data))
        self.auto_save = bool(auto_save)
        self.ckpt_path = str(ckpt_path)
        self.round, self.state_id = int(round), int(state_id)
        self.node_scores = self.edge_scores = self.subnode_scores = None
        # the layers kanlab.pykan's fits switched (None: none has chosen yet), and whether
        # fits may still choose (not after a refine: kanlab.pykan._continuation)
        self.chosen_continuations, self.continuation_fixed = None, False
        self.history_log = [f"### Round {self.round} ###", f"init => {self.round}.{self.state_id}"] \
            if self.auto_save else []
        if self.auto_save:
            self.auto_checkpoint()

    # ------------------------------------------------------------------ forward and views
    def forward(self, x: Tensor, singularity_avoiding: bool = False, y_th: float = 10.0) -> Tensor:
        x = own_columns(self, _legacy.as_model_input(self, x))  # pykan's input_id
        if singularity_avoiding:
            from kanlab.pykan._fit import avoid_singularities
            with avoid_singularities(self, float(y_th)):
                y = super().forward(x)
        else:
            y = super().forward(x)
        if self.save_act and isinstance(x, Tensor) and not x.requires_grad and x.dim() == 2 \
                and not recording_graph() and x.shape[0] > 1:  # (a graph's input is no data)
            self.reference_input = x.detach()
        return y

    @property
    def act_fun(self) -> _views.LayerViews:
        """pykan's spline layers: ``in_dim``, ``out_dim``, ``grid``, ``coef`` ``(in, out, G + k)``;
        ``model.act_fun[l] = KANLayer(...)`` copies a layer in
        (:mod:`kanlab.pykan._layer_assign`)."""
        return self.view_lists()[0]

    @property
    def symbolic_fun(self) -> _views.LayerViews:
        """pykan's symbolic layers: ``in_dim``, ``out_dim``, ``funs_name``, ``mask``;
        ``model.symbolic_fun[l] = Symbolic_KANLayer(...)`` copies a layer in."""
        return self.view_lists()[1]

    @property
    def width(self) -> list[list[int]]:
        """pykan's ``[n_add, n_mult]`` per level (``[[2, 0], [5, 0], [1, 0]]``), read off the
        layers, so ``KAN(width=model.width, mult_arity=model.mult_arity)`` rebuilds the
        architecture.  Read-only (:mod:`kanlab.pykan._width`): ``expand_width``, ``prune``
        and the other structure methods change it; :attr:`n_nodes` is ``width_in``.  A subclass
        may set it before ``KAN.__init__`` builds the model (:mod:`kanlab.pykan._unbuilt`)."""
        if not _unbuilt.built(self):
            return _unbuilt.kept_before_init(self, "width")
        return read_only_width([[n - len(a), len(a)] for n, a in zip(self.n_nodes, self.arities)])

    @width.setter
    def width(self, value) -> None:
        # pykan's own methods assign width after changing the layers; here the layers define it
        if not _unbuilt.built(self):
            return _unbuilt.keep_before_init(self, "width", value)
        pairs = [list(w) if isinstance(w, list) else [w, 0] for w in _width(value)]
        if pairs != self.width:
            raise ValueError(f"width follows the model's layers, {self.width}; got {value!r}: "
                             "change the structure with expand_width, expand_depth, prune or "
                             "prune_input, or build KAN(width=...) anew")

    grid = _unbuilt.set_when_built("grid", _NativeKAN.grid.fget, "refine(grid) makes a model on another grid")
    k = _unbuilt.set_when_built("k", _NativeKAN.k.fget, "build KAN(k=...) anew")

    @property
    def width_in(self) -> list[int]:
        """Nodes per level (what a layer takes in), as pykan's ``width_in``."""
        return self.n_nodes

    @property
    def width_out(self) -> list[int]:
        """Subnodes per level (what the layer below puts out), as pykan's ``width_out``."""
        return [w - len(a) + sum(a) for w, a in zip(self.n_nodes, self.arities)]

    @property
    def feature_score(self) -> Tensor:
        """Input importance on the last data seen (``model(x)``, ``get_act`` or ``fit``)."""
        return _attribute(self, self._data(None)).node_scores[0]

    def _data(self, x):
        if isinstance(x, dict):
            x = x["train_input"]
        if x is None:
            x = self.reference_input
        if x is None:  # caches put back by hand (pykan's are plain attributes)
            x = assigned_input(self)
        if x is None:
            raise NoDataError("no activations yet: call model(x), model.get_act(x) or fit first")
        return own_columns(self, x)

    def get_act(self, x=None):
        """Run ``x`` (a tensor or a dataset dict) through the model and keep it for scores and plots."""
        x = self._data(x)
        with torch.no_grad():
            super().forward(x)
        self.reference_input = x.detach()

    def speed(self, compile: bool = False) -> "KAN":
        """pykan's speed mode: no activation caches and no auto-save (kanlab keeps no caches
        anyway).  ``symbolic_enabled`` stays on: kanlab's symbolic edges cost nothing where
        none is fixed, and pykan's switch would drop the edges a later ``auto_symbolic``
        fixes (its forward then ignores them)."""
        self.save_act = False
        self.auto_save = False
        return self

    # ------------------------------------------------------------------ grids
    def refine(self, new_grid=None, grid=None) -> "KAN":
        """A copy on ``new_grid`` intervals that computes the same function."""
        g = as_int("new_grid", new_grid if new_grid is not None else grid)
        new = adopt(super().refine(g), self)
        chosen = getattr(self, "chosen_continuations", None)
        if chosen is not None:  # a fit has chosen the continuation
            after_refine(new, chosen)
        # pykan's numbering: the refined model is the next version of this round (0.1 ->
        # refine -> 0.2), counted whether or not auto-save is on
        new.round, new.state_id = self.round, self.state_id
        if new.auto_save:
            new.log_history("refine")
        else:
            new.state_id += 1
        return new

    # ------------------------------------------------------------------ training
    def fit(self, dataset, opt="LBFGS", steps=100, log=1, lamb=0.0, lamb_l1=1.0,
            lamb_entropy=2.0, lamb_coef=0.0, lamb_coefdiff=0.0, update_grid=True,
            grid_update_num=10, loss_fn=None, lr=1.0, start_grid_update_step=-1,
            stop_grid_update_step=50, batch=-1, metrics=None, save_fig=False, in_vars=None,
            out_vars=None, beta=3, save_fig_freq=1, img_folder="./video",
            singularity_avoiding=False, y_th=1000.0, reg_metric="edge_forward_spline_n",
            display_metrics=None, pred_fn=None, *, device=None, sglr_avoid=None,
            small_mag_threshold=None, small_reg_factor=None):
        """pykan's ``fit``; returns ``{'train_loss', 'test_loss', 'reg', <metric names>}`` lists.

        ``device``, ``sglr_avoid``, ``small_mag_threshold`` and ``small_reg_factor`` are
        pykan 0.1's ``fit`` keywords (May 2024), read as :mod:`kanlab.pykan._old_api` reads
        them for the old ``train``.

        Trains on one torch thread (restored afterwards; see :mod:`kanlab._threads`): the
        result does not depend on the machine's core count, and a busy machine is not
        oversubscribed."""
        kwargs = {k: v for k, v in locals().items() if k not in ("self", "dataset")}
        kwargs = old_fit_kwargs(self, {k: v for k, v in kwargs.items()
                                       if k not in OLD_FIT_KEYWORDS or v is not None})
        from kanlab._threads import one_thread
        from kanlab.pykan._fit import fit
        from kanlab.pykan._hooks_fit import fit_on_hooks, overrides_params
        # a subclass training its own modules runs pykan's loop over its hooks
        train = fit_on_hooks if overrides_params(self, KAN) else fit
        with one_thread():
            return train(self, dataset, **kwargs)

    def get_params(self):
        """pykan's ``self.parameters()``: an iterator (``next(model.get_params())`` works;
        a list raised TypeError there), spent after one pass as in pykan."""
        return self.parameters()

    # ------------------------------------------------------------------ scores and pruning
    def attribute(self, l=None, i=None, out_score=None, plot=True):
        """Node and edge scores (``node_scores``, ``edge_scores``); with ``l`` the input scores
        of each node at level ``l``, weighted by the node's score; with ``l, i`` node ``i``'s."""
        from kanlab.pykan._structure import attribute
        return attribute(self, l, i, plot=plot, out_score=out_score)

    def node_attribute(self):
        """``node_attribute_scores``: for each level from the first hidden one, the input scores
        of its nodes (``attribute(l)``)."""
        self.node_attribute_scores = [self.attribute(l) for l in range(1, len(self.layers) + 1)]

    def prune_node(self, threshold=1e-2, mode="auto", active_neurons_id=None, log_history=True):
        from kanlab.pykan._structure import prune_node
        return prune_node(self, threshold, mode, active_neurons_id, log_history)

    def prune_edge(self, threshold=3e-2, log_history=True) -> None:
        scores = _attribute(self, self._data(None)).edge_scores
        for l, s in enumerate(scores):
            for j, i in (s <= threshold).nonzero().tolist():
                _remove_edge(self, l, i, j)
        if log_history:
            self.log_history("prune_edge")

    def prune(self, node_th=1e-2, edge_th=3e-2, *, threshold=None, mode=None,
              active_neurons_id=None) -> "KAN":
        if threshold is not None or mode is not None or active_neurons_id is not None:
            return self.old_prune(threshold, mode, active_neurons_id)  # pykan 0.1's
        from kanlab.nn._pruning import _subnetwork, prune_plan
        from kanlab.pykan._structure import switch_off_dropped_nodes
        with torch.no_grad():
            plan = prune_plan(self, self._data(None), float(node_th), float(edge_th))
            new = adopt(_subnetwork(self, *plan), self)
        switch_off_dropped_nodes(self, plan[1])  # as pykan's prune_node does
        new.log_history("prune")
        return new

    def prune_input(self, threshold=1e-2, active_inputs=None, log_history=True) -> "KAN":
        seen = active_inputs is None or self.reference_input is not None  # pykan's
        # active_inputs need no data: without any, the dropped inputs' edges just go
        new = adopt(_prune_input(self, self._data(None) if seen else None,
                                 threshold=float(threshold), active_inputs=active_inputs), self)
        # the data's width (kanlab.pykan._input_ids.own_columns): pykan's model takes those rows
        new.data_columns = getattr(self, "data_columns", None) or self.n_nodes[0]
        new.wide_input = (self.cache_data, new.reference_input) \
            if self.cache_data is not None and new.reference_input is not None else None
        new.logged(log_history, "prune_input")
        return new

    def remove_edge(self, l, i, j, log_history=True) -> None:
        _remove_edge(self, int(l), int(i), int(j))
        self.logged(log_history, "remove_edge")

    # ------------------------------------------------------------------ plotting
    def plot(self, folder=None, beta=3, metric="backward", scale=0.5, tick=False,
             sample=False, in_vars=None, out_vars=None, title=None, varscale=1.0, mask=False,
             out_vars_offset=None):
        """The KAN diagram on the last data; with ``folder`` also pykan's per-edge images
        ``folder/sp_<l>_<i>_<j>.png`` (:mod:`kanlab.pykan._edge_images`).  A later pykan's
        ``out_vars_offset`` is accepted (kanlab places the output names itself).

        Returns ``None``, as pykan's: the diagram is pyplot's current figure (``plt.gcf()``,
        ``plt.savefig``), shown by a notebook's inline backend."""
        from kanlab.pykan._plot import plot
        plot(self, beta=beta, metric=metric, scale=scale, in_vars=in_vars,
             out_vars=out_vars, title=title, varscale=varscale, mask=mask,
             folder=folder, tick=tick, sample=sample)


# pykan's class is MultKAN and KAN its alias: type(model).__name__ and repr(model) say MultKAN
KAN = MultKAN
