"""Shared hyper-parameters, their checks, input scaling and the explicit-width path."""
from __future__ import annotations

import copy
import numbers
import warnings

import numpy as np
import torch
from torch import Tensor

from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from kanlab._validation import choose_device
from kanlab.nn._network import KAN
from kanlab.train._additive import to_module
from kanlab.train._input_scaling import InputScaling, feature_kinds
from kanlab.train._config import FitConfig
from kanlab.train._fit import fit

__all__ = ["KANEstimatorBase"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_PREDICT_CHUNK = 8192  # rows per forward pass in predict: bounds the basis tensor's memory


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_auto(v) -> bool:
    return isinstance(v, str) and v == "auto"


class KANEstimatorBase(BaseEstimator):
    """Parameters and machinery common to :class:`KANRegressor` and :class:`KANClassifier`."""

    def __init__(self, hidden="auto", grid="auto", k=3, alpha="auto", lamb_smooth="auto",
                 steps="auto", opt="LBFGS", lr=1.0, lamb=0.0, batch=-1, grid_update=True,
                 grids=None, base_fun="silu", random_state=None, dtype="float64",
                 device="cpu"):
        self.hidden = hidden
        self.grid = grid
        self.k = k
        self.alpha = alpha
        self.lamb_smooth = lamb_smooth
        self.steps = steps
        self.opt = opt
        self.lr = lr
        self.lamb = lamb
        self.batch = batch
        self.grid_update = grid_update
        self.grids = grids
        self.base_fun = base_fun
        self.random_state = random_state
        self.dtype = dtype
        self.device = device

    # -- checks (called from fit) ----------------------------------------------------------

    def _torch_dtype(self) -> torch.dtype:
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        return _DTYPES[self.dtype]

    def _torch_device(self) -> torch.device:
        """``device`` as a ``torch.device`` (``"auto"``: the GPU when CUDA is usable)."""
        return choose_device(self.device, type(self).__name__, self._torch_dtype())

    def _hidden(self) -> list[int] | None:
        """``None`` for ``"auto"`` (the validated one-layer KAN), else the hidden sizes."""
        hidden = self.hidden
        if _is_auto(hidden):
            return None
        if _is_int(hidden):
            hidden = (hidden,)
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
            raise TypeError(f"hidden must be a sequence of layer sizes or 'auto', got {self.hidden!r}")
        hidden = list(hidden)
        if not all(_is_int(h) and h >= 1 for h in hidden):
            raise ValueError(f"hidden must hold positive ints, got {self.hidden!r}")
        return [int(h) for h in hidden]

    def _check_common(self) -> None:
        if not _is_int(self.k) or self.k < 0:
            raise ValueError(f"k must be a non-negative int, got {self.k!r}")
        if not (_is_auto(self.grid) or (_is_int(self.grid) and self.grid >= 1)):
            raise ValueError(f"grid must be 'auto' or a positive int, got {self.grid!r}")
        if self.grids is not None and (isinstance(self.grids, (str, bytes)) or not all(
                _is_int(g) and g >= 1 for g in self.grids) or len(list(self.grids)) == 0):
            raise ValueError("grid must be a positive int and grids None or a non-empty sequence "
                             f"of positive ints, got grid={self.grid!r}, grids={self.grids!r}")
        for name in ("alpha", "lamb_smooth"):
            v = getattr(self, name)
            if not (_is_auto(v) or (isinstance(v, numbers.Real) and not isinstance(v, bool)
                                    and np.isfinite(v) and v >= 0)):
                raise ValueError(f"{name} must be 'auto' or a finite number >= 0, got {v!r}")
        if not (_is_auto(self.steps) or (_is_int(self.steps) and self.steps >= 0)):
            raise ValueError(f"steps must be 'auto' or a non-negative int, got {self.steps!r}")
        if self.opt not in ("LBFGS", "Adam"):
            raise ValueError(f"opt must be 'LBFGS' or 'Adam', got {self.opt!r}")
        self._torch_device()

    def _seed(self) -> int:
        # one draw, so an int random_state gives the same model on every fit
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    # -- inputs ----------------------------------------------------------------------------

    def _scale_inputs(self, X: np.ndarray) -> np.ndarray:
        self.scaling_ = InputScaling.fit(X)
        z = self.scaling_.transform(X)
        self.feature_kinds_ = feature_kinds(z, self.scaling_.constant)
        return z

    @property
    def x_center_(self) -> np.ndarray:
        """Per-feature centre of the input scaling, in the units of X."""
        return self.scaling_.center * self.scaling_.magnitude

    @property
    def x_scale_(self) -> np.ndarray:
        """Per-feature spread of the input scaling, in the units of X (1 for constant features)."""
        return np.where(self.scaling_.constant, 1.0, self.scaling_.scale * self.scaling_.magnitude)

    @torch.no_grad()
    def _forward(self, X) -> np.ndarray:
        check_is_fitted(self, "module_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        x = torch.tensor(self.scaling_.transform(X), dtype=self.module_.dtype, device="cpu")
        outs = [self.module_(x[i:i + _PREDICT_CHUNK].to(self.module_.device))
                for i in range(0, x.shape[0], _PREDICT_CHUNK)]
        return torch.cat(outs).to(torch.float64).cpu().numpy()

    def _set_importances(self, z: np.ndarray) -> None:
        """``feature_importances_``: the KAN's attribution scores of the inputs, summing to 1."""
        with torch.no_grad():
            x = torch.as_tensor(z, dtype=self.module_.dtype, device="cpu").to(self.module_.device)
            scores = self.module_.attribute(x).node_scores[0].to(torch.float64).cpu().numpy()
        total = scores.sum()
        self.feature_importances_ = scores / total if total > 0 else np.full(len(scores),
                                                                          1 / len(scores))

    def _adopt(self, choice, validation_score) -> None:
        """Take the model the search chose (:class:`kanlab.train._additive_selection.Choice`)."""
        self.module_ = to_module(choice.design, choice.W, choice.b, self._seed(),
                                 self._torch_dtype())  # on the CPU: fit moves it to device
        self.best_grid_ = choice.design.grid
        self.best_alpha_ = choice.alpha
        self.best_lamb_smooth_ = choice.lamb_smooth
        self.validation_score_ = validation_score
        self.search_results_ = choice.results
        self.n_iter_ = choice.n_iter

    # -- explicit widths: gradient training of [d, *hidden, out] ------------------------------

    def _gradient_fit(self, z: np.ndarray, target: Tensor, n_out: int, hidden: list[int],
                      loss_fn=None) -> None:
        seed = self._seed()
        schedule = [int(self.grid) if not _is_auto(self.grid) else 5] if self.grids is None \
            else [int(g) for g in self.grids]
        steps = 50 if _is_auto(self.steps) else int(self.steps)
        lamb_smooth = 0.0 if _is_auto(self.lamb_smooth) else float(self.lamb_smooth)
        cfg = FitConfig(opt=self.opt, steps=steps, lr=self.lr, lamb=self.lamb,
                        lamb_smooth=lamb_smooth, batch=int(self.batch),
                        update_grid=bool(self.grid_update), seed=seed, progress=False,
                        eval_every=1, loss_fn=loss_fn)
        lo, hi = z.min(axis=0), z.max(axis=0)
        ranges = np.column_stack([np.where(hi > lo, lo, -1.0), np.where(hi > lo, hi, 1.0)])
        device = self._torch_device()
        model = KAN([z.shape[1], *hidden, n_out], grid=schedule[0], k=int(self.k), seed=seed,
                    base_fun=self.base_fun, grid_range=ranges.tolist(), dtype=self._torch_dtype(),
                    device=device)
        x = torch.as_tensor(z, dtype=model.dtype, device="cpu").to(device)
        target = target.to(model.dtype if target.is_floating_point() else target.dtype).to(device)
        data = {"train_input": x, "train_label": target, "test_input": x, "test_label": target}
        curve = []
        with warnings.catch_warnings():
            # constant features (blank pixels) keep their grid: update_grid's warning is noise
            warnings.filterwarnings("ignore", message="update_grid: inputs", category=RuntimeWarning)
            warnings.filterwarnings("ignore", message=".*outside the grid", category=RuntimeWarning)
            for i, g in enumerate(schedule):
                if i:
                    model = model.refine(g)
                history = fit(model, data, cfg)
                curve += history.train_rmse
                if history.status == "nonfinite":
                    warnings.warn("the loss became non-finite; training stopped and the "
                                  "parameters of the last finite step were kept (try a smaller "
                                  "lr)", ConvergenceWarning, stacklevel=3)
        self.module_ = model
        self.history_ = history
        self.n_iter_ = len(curve)
        self.best_grid_ = model.grid
        self.best_alpha_ = None
        self.best_lamb_smooth_ = lamb_smooth
        self.validation_score_ = None
        self.search_results_ = []
        self._train_curve = curve

    # -- pickling: the module travels on the CPU -------------------------------------------

    def __getstate__(self):
        """The estimator's state with ``module_`` on the CPU: an estimator fitted on a GPU
        unpickles on a machine without one."""
        state = super().__getstate__()
        module = state.get("module_")
        if module is not None and module.device != torch.device("cpu"):
            state = dict(state, module_=copy.deepcopy(module).cpu())
        return state

    def __setstate__(self, state):
        """Put ``module_`` back on ``device``; on the CPU, with a warning, where it is absent."""
        super().__setstate__(state)
        self.__dict__.setdefault("device", "cpu")  # pickled before estimators had a device
        module = self.__dict__.get("module_")
        if module is None:
            return
        try:
            device = self._torch_device()
        except (TypeError, ValueError) as err:
            warnings.warn(f"{err}; the unpickled estimator's module stays on the CPU (set "
                          "device='cpu' to silence this)", RuntimeWarning, stacklevel=2)
            return
        self.module_ = module.to(device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.non_deterministic = False  # deterministic for a fixed random_state
        return tags
