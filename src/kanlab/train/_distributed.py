"""Data-parallel training across processes (``torchrun``), on CPU (gloo) or GPUs (NCCL).

Every rank holds the same model and the same dataset; :func:`kanlab.fit` with
``FitConfig(distributed=True)`` splits each batch into one contiguous shard
per rank, so the forward and backward passes are shared out while every rank
takes identical optimiser decisions:

* the loss of one closure evaluation is the *global* loss, and the gradient
  is the all-reduced sum of the shard gradients (one collective per
  evaluation: the flat gradients and the shard's squared error travel
  together; a second one carries the sparsity moments).  kanlab's L-BFGS
  evaluates the loss several times per step in its line search; with
  reduced values every rank follows the same branches, so no rank waits on
  a collective the others skip;
* the sparsity penalty depends on the batch through the root-mean-square of
  every edge; the per-input Gram matrices of the shards are all-reduced first
  and the penalty's gradient is split exactly into a shared part and a
  per-shard part (see :meth:`FitSync.loss_and_grad`), so the result equals a
  single-process fit up to rounding;
* train/test RMSEs are reduced from per-shard squared errors;
* grid updates run on the full batch on every rank and rank 0's knots and
  coefficients are then broadcast, so all ranks hold bit-identical state.

Why not ``torch.nn.parallel.DistributedDataParallel``: it reduces gradients
only, while L-BFGS also needs reduced loss values and the sparsity penalty
reduced statistics; a flat all-reduce per evaluation is all the
communication a small KAN needs.

Launch with ``torchrun --nproc_per_node=N ...`` (env vars ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``);
:func:`init` reads them.
"""
from __future__ import annotations

import contextlib
import datetime
import os
from typing import Iterator

import torch
import torch.distributed as dist
from torch import Tensor, nn

from kanlab.train._regularization import smoothness_penalty, sparsity_penalty
from kanlab.train._rollback import copy_state

__all__ = ["init", "teardown", "process_group", "choose_backend", "is_initialized", "rank",
           "world_size", "is_main", "missing_env", "barrier", "shard_rows", "all_reduce_sum",
           "all_reduce_max",
           "broadcast_state", "check_same_across_ranks", "FitSync"]

_ENV = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def choose_backend(backend: str = "auto") -> str:
    """``"nccl"`` when CUDA is usable and ``backend`` is ``"auto"``, else ``"gloo"``."""
    if backend not in ("auto", "gloo", "nccl"):
        raise ValueError(f"backend must be 'auto', 'gloo' or 'nccl', got {backend!r}")
    if backend == "auto":
        return "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"
    if backend == "nccl" and not (torch.cuda.is_available() and dist.is_nccl_available()):
        raise ValueError("backend 'nccl' needs CUDA GPUs and a torch build with NCCL; use 'gloo' on CPU")
    return backend


def is_initialized() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's rank (0 outside a process group)."""
    return dist.get_rank() if is_initialized() else 0


def world_size() -> int:
    """Number of processes (1 outside a process group)."""
    return dist.get_world_size() if is_initialized() else 1


def is_main() -> bool:
    """True on rank 0 (and in a single process): the rank that writes files and logs."""
    return rank() == 0


def missing_env() -> list[str]:
    """The launcher env vars (set by ``torchrun``) that :func:`init` needs and lacks."""
    return [name for name in _ENV if name not in os.environ]


# collective timeouts: below a millisecond the timedelta rounds to zero, and beyond ~115 days
# it overflows the C++ duration torch converts it to
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 1e-3, 1e7


def init(backend: str = "auto", timeout_s: float = 600.0) -> torch.device:
    """Join the process group described by torchrun's env vars; return this rank's device.

    With NCCL the device is ``cuda:LOCAL_RANK`` (and made current); with gloo
    it is the CPU.  Calling it when a group is already up only returns the
    device.  Raises ``RuntimeError`` naming the missing variables when the
    process was not started by ``torchrun`` (or an equivalent launcher).
    """
    if not (isinstance(timeout_s, (int, float)) and not isinstance(timeout_s, bool)
            and MIN_TIMEOUT_S <= timeout_s <= MAX_TIMEOUT_S):
        raise ValueError(f"timeout_s must be a number of seconds in [{MIN_TIMEOUT_S}, "
                         f"{MAX_TIMEOUT_S:.0e}], got {timeout_s!r}")
    if not dist.is_available():
        raise RuntimeError("this torch build has no torch.distributed")
    if not is_initialized():
        missing = missing_env()
        if missing:
            raise RuntimeError(f"distributed training needs the env vars {list(_ENV)} set by "
                               f"torchrun (e.g. `torchrun --nproc_per_node=2 -m kanlab train --ddp`); "
                               f"missing {missing}")
        backend = choose_backend(backend)
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend, init_method="env://",
                                timeout=datetime.timedelta(seconds=timeout_s))
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def teardown() -> None:
    """Leave the process group (a no-op when none is up)."""
    if is_initialized():
        dist.destroy_process_group()


@contextlib.contextmanager
def process_group(backend: str = "auto", timeout_s: float = 600.0) -> Iterator[torch.device]:
    """``with process_group() as device:`` joins the group and leaves it if it joined it.

    ``timeout_s`` bounds every collective: a rank that stops answering (killed,
    stopped, disconnected) makes the others raise after that long instead of
    waiting forever.
    """
    owner = not is_initialized()
    device = init(backend, timeout_s)
    try:
        yield device
    finally:
        if owner:
            teardown()


def barrier() -> None:
    if is_initialized():
        dist.barrier()


def shard_rows(t: Tensor, rank_: int | None = None, world: int | None = None) -> Tensor:
    """Rank ``rank_``'s contiguous block of the rows of ``t`` (a view; may be empty).

    Blocks differ in size by at most one row; their concatenation in rank
    order is ``t``.
    """
    rank_ = rank() if rank_ is None else rank_
    world = world_size() if world is None else world
    if not 0 <= rank_ < world:
        raise ValueError(f"rank must lie in [0, {world}), got {rank_}")
    return t.tensor_split(world)[rank_]


def all_reduce_max(value: float, device=None) -> float:
    """The largest ``value`` over the ranks (``value`` itself in a single process)."""
    if not (is_initialized() and world_size() > 1):
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return float(t)


def all_reduce_sum(t: Tensor) -> Tensor:
    """Sum ``t`` over the ranks in place and return it (identity in a single process)."""
    if is_initialized() and world_size() > 1:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


@torch.no_grad()
def broadcast_state(module: nn.Module, src: int = 0) -> None:
    """Give every rank ``src``'s parameters and persistent buffers, bit for bit.

    Goes through ``load_state_dict`` so that modules refresh what they derive
    from their buffers (a layer's span tables follow its knots).
    """
    if not is_initialized() or world_size() == 1:
        return
    state = module.state_dict()
    # broadcast fills its argument in place and needs contiguous memory:
    # a view of a larger tensor would not be synced.
    synced = copy_state(state, torch.contiguous_format)
    for t in synced.values():
        dist.broadcast(t, src=src)
    module.load_state_dict(synced)


def check_same_across_ranks(tensors: dict[str, Tensor]) -> None:
    """Raise ``ValueError`` on every rank unless all ranks hold equal shapes and sums.

    A cheap fingerprint (row count and a float64 sum per tensor), reduced
    with MIN and MAX, so every rank reaches the same verdict and none is left
    waiting in a collective.
    """
    if not is_initialized() or world_size() == 1:
        return
    names = list(tensors)
    device = next(iter(tensors.values())).device if tensors else torch.device("cpu")
    prints = torch.tensor([[float(tensors[n].numel()), float(tensors[n].double().sum())]
                           for n in names], dtype=torch.float64, device=device).flatten()
    lo, hi = prints.clone(), prints.clone()
    dist.all_reduce(lo, op=dist.ReduceOp.MIN)
    dist.all_reduce(hi, op=dist.ReduceOp.MAX)
    differ = [n for i, n in enumerate(names) if not torch.equal(lo[2 * i:2 * i + 2],
                                                                hi[2 * i:2 * i + 2])]
    if differ:
        raise ValueError(f"distributed fit expects the same dataset on every rank (each rank "
                         f"computes its shard of it); {differ} differ between ranks")


def _flat_grads(params: list[Tensor]) -> Tensor:
    return torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                      for p in params])


class FitSync:
    """The collective steps of a data-parallel :func:`kanlab.fit` (one per fit call).

    On construction the model is broadcast from rank 0 (as DDP does) and the
    dataset is checked to be the same on every rank.

    Parameters
    ----------
    model
        the :class:`kanlab.KAN` being trained (identical on all ranks after this).
    dataset
        pykan's four-key dataset, the same on every rank.
    """

    def __init__(self, model: nn.Module, dataset: dict) -> None:
        if not is_initialized():
            raise RuntimeError("FitConfig(distributed=True) needs a process group; call "
                               "kanlab.train._distributed.init() in every process (started by torchrun)")
        self.rank, self.world = rank(), world_size()
        check_same_across_ranks(dataset)
        broadcast_state(model)
        self.params = [p for p in model.parameters() if p.requires_grad]

    def loss_and_grad(self, model, x: Tensor, y: Tensor, cfg) -> tuple[Tensor, Tensor]:
        """Global loss and regularisation term; the summed gradient is left in ``p.grad``.

        ``x``, ``y`` is the whole batch (the same on every rank); this rank
        works on its block of rows.  With ``B`` rows in all, the loss is
        ``Σ_ranks SSE_r / B + reg``.  The sparsity penalty ``R(M)`` depends on
        the batch through per-layer second moments ``M = Σ_r M_r / B`` (the
        Gram matrices of :meth:`KANLayer.edge_rms`); its gradient is
        ``∂R/∂θ|_M + Σ_r ⟨∂R/∂M, dM_r/dθ⟩ / B``: the first term is added by
        rank 0 only, the second by every rank for its shard, so the
        all-reduced sum is exact.
        """
        xs, ys = shard_rows(x, self.rank, self.world), shard_rows(y, self.rank, self.world)
        n = x.shape[0]
        for p in self.params:
            p.grad = None
        if cfg.lamb > 0:
            pred, inputs = model.forward_with_inputs(xs)
            grams = [_gram_sum(layer, inp) for layer, inp in zip(model.layers, inputs)]
            total = all_reduce_sum(torch.cat([g.detach().flatten() for g in grams]))
            leaves = [part.view_as(g).div(n).requires_grad_()
                      for part, g in zip(total.split([g.numel() for g in grams]), grams)]
            mags = [_edge_rms_from_gram(layer, m) for layer, m in zip(model.layers, leaves)]
            reg = cfg.lamb * sparsity_penalty(mags, cfg.lamb_l1, cfg.lamb_entropy)
            d_moments = torch.autograd.grad(reg, leaves, retain_graph=True)
            surrogate = sum((d * g).sum() for d, g in zip(d_moments, grams)) / n
        else:
            pred = model(xs)
            reg = pred.new_zeros(())
            surrogate = pred.new_zeros(())
        if cfg.lamb_smooth > 0:
            reg = reg + cfg.lamb_smooth * sum(smoothness_penalty(layer) for layer in model.layers)
        sse = torch.sum((pred - ys) ** 2)
        local = sse / n + surrogate
        if self.rank == 0:  # parameter-only terms are counted once in the sum over ranks
            local = local + reg
        if torch.isfinite(local):
            local.backward()
        # one collective: the flat gradient and this shard's squared error
        packed = torch.cat([_flat_grads(self.params), sse.detach().reshape(1)])
        all_reduce_sum(packed)
        loss = packed[-1] / n + reg.detach()
        if torch.isfinite(loss):  # as in a single process, a non-finite loss leaves no gradient
            for p, g in zip(self.params, packed[:-1].split([p.numel() for p in self.params])):
                p.grad = g.view_as(p).clone()
        return loss, reg.detach()

    @torch.no_grad()
    def rmse(self, model, pairs: list[tuple[Tensor, Tensor]]) -> list[float]:
        """RMSE of ``model`` on each ``(x, y)`` pair, every rank evaluating its block of rows."""
        sums = []
        for x, y in pairs:
            xs, ys = shard_rows(x, self.rank, self.world), shard_rows(y, self.rank, self.world)
            sums.append(torch.sum((model(xs) - ys) ** 2))
        total = all_reduce_sum(torch.stack(sums))
        return [float(torch.sqrt(s / y.numel())) for s, (_, y) in zip(total, pairs)]

    def update_grid(self, model, x: Tensor) -> None:
        """Collective grid update: every rank updates on the full batch, then takes rank 0's state.

        Every rank computes (rather than waiting on rank 0) so that an error
        in the update is raised on all ranks alike instead of leaving some
        blocked in the broadcast.
        """
        model.update_grid(x)
        broadcast_state(model)


def _gram_sum(layer, x: Tensor) -> Tensor:
    """``Σ_b f_b f_bᵀ`` per input over the rows of ``x``: ``(in, f, f)`` (zeros for no rows)."""
    feats = layer.features(x)  # (B, in, f)
    return torch.einsum("bif,big->ifg", feats, feats)


def _edge_rms_from_gram(layer, moments: Tensor) -> Tensor:
    """Edge RMS ``(out, in)`` from second moments ``(in, f, f)``, as :meth:`KANLayer.edge_rms`."""
    w = layer.feature_weight()  # (out, in, f)
    ms = torch.einsum("oif,ifg,oig->oi", w, moments, w).clamp_min(0)
    return torch.sqrt(ms + torch.finfo(ms.dtype).tiny)
