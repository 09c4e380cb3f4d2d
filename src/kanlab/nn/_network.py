"""KAN: a stack of KANLayers with pykan's constructor.

Grid updates, refinement, training and checkpoints live in their own modules;
the methods here are thin entry points to them so a pykan user finds them on
the model.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor, nn

from kanlab._compat import recording_graph
from kanlab._validation import check_allocation, check_device, check_float, check_float_dtype, \
    check_int
from kanlab.nn._edge_bases import DEFAULT_BASIS, get_edge_basis
from kanlab.nn._fused_forward import fused_forward
from kanlab.nn._grid_points import OUTLIER_FENCE
from kanlab.nn._layer import KANLayer, layer_elements
from kanlab.nn._attributes import ExplainedAttributes
from kanlab.nn._methods import KANMethods
from kanlab.nn._node_affine import NodeAffine
from kanlab.nn._saved_grid_eps import check_grid_eps
from kanlab.nn._scripting import NotScriptable
from kanlab.nn._stamp import Stamped
from kanlab.ops._base_functions import resolve_base_fun
from kanlab.nn._symbolic_edges import SymbolicEdges
from kanlab.nn._width import check_arity, check_ids, check_width

__all__ = ["KAN"]


class KAN(KANMethods, ExplainedAttributes, NotScriptable, Stamped, nn.Module):
    """Kolmogorov–Arnold network.

    Parameters
    ----------
    width
        nodes per level, ``[n_in, hidden..., n_out]``; an entry
        ``[n_add, n_mult]`` gives a level ``n_add`` addition nodes and
        ``n_mult`` multiplication nodes (pykan's KAN 2.0 notation).
    grid
        number of grid intervals ``G`` of every spline.
    k
        spline degree.
    seed
        seed of the initialisation; a private ``torch.Generator`` is
        used, the global RNG is left alone.
    base_fun
        residual function on every edge, see :class:`KANLayer`.
    grid_range
        ``(lo, hi)`` of every layer's initial grid, or one pair per
        input, which then applies to the first layer (the others start on
        ``(-1, 1)``).
    grid_eps
        blend used by :meth:`update_grid`: 0 puts the grid points on
        sample quantiles, 1 (the default) spaces them uniformly between the
        sample extremes.  pykan uses 0.02; on the paper's grid-extension
        recipe the quantile jitter of 1000 samples cost accuracy: test
        RMSE at G = 50 was 2.8e-6 with 0.02, 1.2e-6 with 0.5 and 5.0e-7
        with 1.0 (convergence slope -3.35, -3.69, -4.08; theory -4).
        Uniform grids also keep the closed-form basis path.  A layer's own
        :attr:`KANLayer.grid_eps` (pykan's ``act_fun[l].grid_eps``), when set,
        replaces it for that layer.
    noise_scale
        scale of the random initial coefficients.
    sb_trainable
        train the base-function weights ``scale_base``.  Off by
        default: the residual ``w_b·b(x)`` then stays the fixed skip path
        it is meant to be and the splines learn the correction.  With it
        on, the redundant base weight opens a trap: on the KAN paper's
        ``[2, 1, 1]`` example 5 of 8 seeds stalled at RMSE ~0.64 (one input
        switched off), against 1 of 8 with it off.  Turn it on when
        sparsity regularisation should be able to zero a whole edge.
    sp_trainable
        train the spline scales ``scale_sp``.
    input_ids
        for a model made by :meth:`prune_input`, the column of the
        original input each input is; ``None`` means ``0 .. width[0]-1``.
    mult_arity
        how many subnodes every multiplication node multiplies: one int, or
        (pykan's form) one list per level with an arity for each of its
        multiplication nodes, e.g. ``[[], [2, 3], []]``.
        The layer into a level with multiplication nodes has
        ``n_add + Σ arities`` outputs: the first ``n_add`` are the
        addition nodes, each following group of ``arity`` subnodes is
        multiplied into one node, so ``KAN([2, [0, 1]])`` computes
        ``φ_1(x) · φ_2(y)``-style products exactly.
    basis
        edge function family of every layer: ``"bspline"`` (default),
        ``"chebyshev"``, ``"fourier"`` or ``"rbf"`` (see :mod:`kanlab.nn._edge_bases`).
    extrapolate
        how every B-spline continues beyond its grid: ``"linear"`` (default: end
        value and slope, C¹ at the grid's ends), ``"quadratic"`` (plus the end
        curvature, C² there: for losses on second derivatives, e.g. PDEs),
        ``"constant"``, ``"extended"`` (pykan's), ``"extended_quadratic"``, ``"tapered"``
        or ``"bounded"`` (C² at the ends, levelling off beyond them: for rows far beyond
        the training range), each described in :class:`KANLayer`; or one of these per
        layer, a sequence of ``len(width) - 1`` (``FitConfig.choose_continuation``
        switches them during a fit).
    node_affine
        give every level above the inputs trainable affine maps (pykan's
        ``affine_trainable=True``: ``subnode_scale``, ``subnode_bias`` on the layer's
        outputs, ``node_scale``, ``node_bias`` on the nodes; :mod:`kanlab.nn._node_affine`).
        Off by default: the maps are then absent (no parameters, no cost; pykan's fixed
        identity), and an edge's ``scale_base``, ``scale_sp`` and the spline's constant
        already scale and shift what reaches a node.
    device, dtype
        factory keywords, as for ``nn.Linear``.

    Attributes
    ----------
    grid_fence : float or None
        A class attribute: :meth:`update_grid` spans each input's samples inside
        Tukey's fences, ``grid_fence`` interquartile ranges beyond the quartiles
        (:data:`kanlab.nn._grid_points.OUTLIER_FENCE`, 3), so a few wild samples
        cannot stretch a grid; ``None`` spans every sample (pykan's rule, and
        :class:`kanlab.pykan.KAN`'s).  A subclass may set its own (a value set on
        one model travels with ``copy.deepcopy`` and pickling, not ``state_dict``).
    grid_floor : float or None
        A class attribute, like ``grid_fence``: :meth:`update_grid` gives no hidden input a
        grid narrower than this share of its layer's widest (:func:`kanlab.nn.update_grid`'s
        ``floor``), so a node the sparsity penalty fades keeps splines of moderate slope;
        ``None`` lets its grid shrink with its values.

    Shape
    -----
    - Input: ``(*, width[0])``.
    - Output: ``(*, width[-1])``.

    Examples
    --------
    >>> model = KAN(width=[2, 5, 1], grid=5, k=3, seed=0)
    >>> model(torch.rand(10, 2)).shape
    torch.Size([10, 1])
    """

    # the default data of the analyses, replaced by every forward pass of pykan's model
    # (kanlab.pykan's save_act), and the grid update's fence and floor (see Attributes): no
    # plan reads them, so setting them keeps the fused plan
    UNPLANNED = frozenset({"reference_input", "grid_fence", "grid_floor"})
    grid_fence: float | None = OUTLIER_FENCE
    grid_floor: float | None = None

    def __init__(self, width: Sequence, grid: int = 5, k: int = 3, seed: int = 0,
                 base_fun="silu", grid_range=(-1.0, 1.0), grid_eps: float = 1.0,
                 noise_scale: float = 0.3, sb_trainable: bool = False, sp_trainable: bool = True,
                 input_ids: Sequence[int] | None = None, mult_arity: int | Sequence = 2,
                 basis: str = DEFAULT_BASIS, extrapolate: str | Sequence[str] = "linear",
                 node_affine: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        n_add, n_mult = check_width(width)
        self.arities = check_arity(mult_arity, n_mult)  # factors of every mult node, per level
        self._default_arity = 2 if isinstance(mult_arity, Sequence) else int(mult_arity)
        width = [a + m for a, m in zip(n_add, n_mult)]  # nodes per level
        subnodes = [a + sum(ar) for a, ar in zip(n_add, self.arities)]  # outputs of the layer below
        grid_eps = check_grid_eps(grid_eps)
        if grid_eps is None:
            raise ValueError("grid_eps must be a number in [0, 1] (the model's default for "
                             "its layers' grid updates), got None")
        seed = check_int(seed, "seed")
        if not -2 ** 63 <= seed < 2 ** 64:  # what torch.Generator.manual_seed accepts
            raise ValueError(f"seed must lie in [-2**63, 2**64), got {seed}")
        check_float_dtype(dtype, "KAN")
        device = check_device(device, "KAN")
        grid, k = check_int(grid, "grid", low=1), check_int(k, "spline degree k", low=0)
        n_basis = get_edge_basis(basis).n_basis(grid, k)
        check_allocation(sum(layer_elements(i, o, grid, k, n_basis)
                             for i, o in zip(width[:-1], subnodes[1:])), dtype, device,
                         f"KAN(width={width}, grid={grid}, k={k}, "
                         f"mult_arity={mult_arity})")
        check_float(noise_scale, "noise_scale", low=0.0)
        self.base_fun_name, _ = resolve_base_fun(base_fun)
        self.basis_name = get_edge_basis(basis).name
        per_layer = _per_layer(extrapolate, len(width) - 1)
        self.extrapolate = extrapolate if isinstance(extrapolate, str) else list(per_layer)
        self.seed = seed
        self.grid_eps = float(grid_eps)
        self.noise_scale = float(noise_scale)
        self.sb_trainable, self.sp_trainable = bool(sb_trainable), bool(sp_trainable)
        ranges = torch.as_tensor(grid_range, dtype=torch.float64, device="cpu")  # host-side checks
        per_input = ranges.dim() == 2
        self.grid_range = ranges.tolist()
        generator = torch.Generator().manual_seed(seed)
        self.layers = nn.ModuleList(
            KANLayer(n_in, n_out, grid, k,
                     grid_range=grid_range if (l == 0 or not per_input) else (-1.0, 1.0),
                     base_fun=base_fun, noise_scale=noise_scale, generator=generator,
                     basis=basis, extrapolate=per_layer[l], device=device, dtype=dtype)
            for l, (n_in, n_out) in enumerate(zip(width[:-1], subnodes[1:])))
        for layer in self.layers:
            layer.scale_base.requires_grad_(self.sb_trainable)
            layer.scale_sp.requires_grad_(self.sp_trainable)
        self.symbolic = nn.ModuleList(
            SymbolicEdges(layer.in_features, layer.out_features, device=device, dtype=dtype)
            for layer in self.layers)
        # affines[l]: the maps of level l + 1 (outputs of layer l); None: no maps at all
        self.affines = nn.ModuleList(
            NodeAffine(s, n, device=device, dtype=dtype)
            for s, n in zip(subnodes[1:], width[1:])) if node_affine else None
        self.input_ids = list(range(width[0])) if input_ids is None else check_ids(input_ids, width[0])
        self.reference_input: Tensor | None = None  # default data of attribute() / auto_symbolic()
        self.register_load_state_dict_post_hook(_continuations_after_load)

    def __setstate__(self, state: dict) -> None:
        # models pickled before per-node arities stored ``mult_arity`` and ``n_mult``
        if "arities" not in state and "n_mult" in state:
            arity = state.pop("mult_arity", 2)
            state["arities"] = [[arity] * m for m in state.pop("n_mult")]
            state["_default_arity"] = arity
        super().__setstate__(state)
        if "affines" not in self._modules and "affines" not in self.__dict__:
            self.affines = None  # pickled before node affine maps existed

    @property
    def n_mult(self) -> list[int]:
        """Multiplication nodes per level (``[0, 2, 0]``).  The engine reads :attr:`arities`:
        :class:`kanlab.pykan.KAN`'s ``n_mult`` is pykan's, hidden levels only (``[2]``)."""
        return [len(a) for a in self.arities]

    @property
    def mult_arity(self):
        """One int when every multiplication node has the same arity, else pykan's
        per-level lists (``[[], [2, 3], []]``)."""
        values = {a for level in self.arities for a in level}
        if len(values) > 1:
            return [list(level) for level in self.arities]
        return values.pop() if values else self._default_arity

    @property
    def n_nodes(self) -> list[int]:
        """Nodes per level, ``[n_in, hidden..., n_out]`` (addition plus multiplication nodes).

        What the engine reads: :attr:`width` is the same list here, pykan's
        ``[n_add, n_mult]`` pairs on :class:`kanlab.pykan.KAN`."""
        return [self.layers[0].in_features] + [
            layer.out_features - sum(ar) + len(ar)
            for layer, ar in zip(self.layers, self.arities[1:])]

    @property
    def width(self) -> list[int]:
        """Nodes per level, ``[n_in, hidden..., n_out]`` (:attr:`n_nodes`)."""
        return self.n_nodes

    @property
    def width_spec(self) -> list:
        """``width`` in pykan's notation: ``n`` or ``[n_add, n_mult]`` per level."""
        return [w if not a else [w - len(a), len(a)] for w, a in zip(self.n_nodes, self.arities)]

    def subnode_to_node(self, level: int) -> list[int]:
        """For every output of the layer into ``level``, the node it feeds there.

        Addition node ``j`` takes subnode ``j``; multiplication node ``n_add + m``
        takes the next ``arity_m`` subnodes after those of the nodes before it.
        """
        arities = self.arities[level]
        n_add = self.n_nodes[level] - len(arities)
        return list(range(n_add)) + [n_add + m for m, a in enumerate(arities) for _ in range(a)]

    @property
    def node_affine(self) -> bool:
        """Whether the levels have trainable affine maps (:attr:`affines`)."""
        return self.affines is not None

    def multiply(self, level: int, y: Tensor) -> Tensor:
        """Node values at ``level`` from the outputs ``(*, subnodes)`` of the layer into it:
        the subnode affine map (with :attr:`node_affine`), the products of the
        multiplication nodes, then the node affine map."""
        affine = self.affines[level - 1] if self.affines is not None and level > 0 else None
        if affine is not None:
            y = affine.subnodes(y)
        arities = self.arities[level]
        if arities:
            m = len(arities)
            n_add = y.shape[-1] - sum(arities)
            if len(set(arities)) == 1:  # one arity: a single strided product
                products = y[..., n_add:].unflatten(-1, (m, arities[0])).prod(-1)  # (*, m)
            else:
                products = torch.stack([g.prod(-1) for g in y[..., n_add:].split(arities, -1)],
                                       -1)
            y = torch.cat([y[..., :n_add], products], dim=-1)
        return y if affine is None else affine.nodes(y)

    @property
    def grid(self) -> int:
        """Number of grid intervals (the largest over the layers)."""
        return max(layer.grid for layer in self.layers)

    @property
    def k(self) -> int:
        """Spline degree."""
        return self.layers[0].k

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def dtype(self) -> torch.dtype:
        return self.layers[0].knots.dtype

    @property
    def device(self) -> torch.device:
        return self.layers[0].knots.device

    def forward(self, x: Tensor) -> Tensor:
        # Small stacks run as one fused node (kanlab.nn._fused_forward says when).
        y = fused_forward(self, x)
        return self.forward_layers(x) if y is None else y

    def forward_layers(self, x: Tensor, run: Callable[[int, Tensor], Tensor] | None = None
                       ) -> Tensor:
        """The network's output: every layer in turn, then its level's multiplication nodes.

        Parameters
        ----------
        x : Tensor, shape (*, width[0])
        run : callable, optional
            ``run(l, x_l)``: layer ``l``'s edges summed into its outputs for its input
            ``x_l`` (default :meth:`layer_output`).  The one loop over the layers:
            the forward pass, the grid update and the regularised fit each pass
            their own ``run``.
        """
        run = run or self.layer_output
        for l in range(self.depth):
            x = self.multiply(l + 1, run(l, x))
        return x

    def forward_with_inputs(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """Output and the input of every layer (``inputs[l]`` feeds layer ``l``)."""
        inputs = []

        def run(l: int, x: Tensor) -> Tensor:
            inputs.append(x)
            return self.layer_output(l, x)

        return self.forward_layers(x, run), inputs

    def layer_output(self, l: int, x: Tensor,
                     edges: Callable[[KANLayer, Tensor], Tensor] | None = None) -> Tensor:
        """Layer ``l``'s edges summed into its outputs (before any multiplication nodes).

        ``edges(layer, x)`` computes the spline edges' part in place of ``layer(x)``
        (for instance :meth:`KANLayer.forward_and_rms`, keeping the RMS); the
        symbolic edges are added to it.
        """
        layer, symbolic = self.layers[l], self.symbolic[l]
        active = symbolic.active  # read once: it compares the mask with the last one seen
        if edges is not None:
            y = edges(layer, x)
        elif (active and not recording_graph()
              and not bool(layer.mask.any())):  # every edge symbolic or removed (a traced
            # graph cannot branch on the mask's values; layer(x) is zero there too)
            layer.check_input(x)
            y = x.new_zeros(*x.shape[:-1], layer.out_features)
        else:
            y = layer(x)
        if active:
            lead = x.shape[:-1]
            y = y + symbolic(x.reshape(-1, x.shape[-1]), mask_checked=True).reshape(*lead, -1)
        return y

    def get_config(self) -> dict:
        """Constructor arguments that rebuild this architecture (for checkpoints)."""
        return {"width": self.width_spec, "mult_arity": self.mult_arity, "grid": self.grid, "k": self.k, "seed": self.seed,
                "base_fun": self.base_fun_name, "grid_range": self.grid_range,
                "grid_eps": self.grid_eps, "noise_scale": self.noise_scale,
                "sb_trainable": self.sb_trainable, "sp_trainable": self.sp_trainable,
                "input_ids": self.input_ids, "dtype": str(self.dtype).removeprefix("torch."),
                "basis": self.basis_name, "extrapolate": self.extrapolate,
                **({"node_affine": True} if self.affines is not None else {})}

    def extra_repr(self) -> str:
        return f"width={self.width_spec}, grid={self.grid}, k={self.k}"


def _continuations_after_load(model: "KAN", incompatible_keys) -> None:
    """The network's ``extrapolate`` setting follows its layers' continuations, which a
    ``state_dict`` carries (one string when they agree, else one per layer)."""
    loaded = [layer.extrapolate for layer in model.layers]
    if _per_layer(model.extrapolate, len(loaded)) != loaded:
        model.extrapolate = loaded[0] if len(set(loaded)) == 1 else loaded


def _per_layer(extrapolate, n_layers: int) -> list[str]:
    """``extrapolate`` (one continuation, or one per layer) as one per layer."""
    if isinstance(extrapolate, str):
        return [extrapolate] * n_layers
    if not isinstance(extrapolate, Sequence) or not all(isinstance(e, str) for e in extrapolate):
        raise TypeError("extrapolate must be a string or a sequence of strings (one per "
                        f"layer), got {extrapolate!r}")
    if len(extrapolate) != n_layers:
        raise ValueError(f"extrapolate has {len(extrapolate)} entries; the network has "
                         f"{n_layers} layers (give one per layer, or one string for all)")
    return list(extrapolate)
