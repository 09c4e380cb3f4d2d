"""scikit-learn estimators: :class:`KANRegressor` and :class:`KANClassifier`.

Needs scikit-learn >= 1.6 (``pip install 'kanlab[sklearn]'``).  The
hyper-parameters are stored verbatim by ``__init__`` and checked in ``fit``,
which builds a fresh :class:`kanlab.KAN` every time.

Input scaling: every feature is mapped affinely onto ``[-1, 1]`` using its
training minimum and maximum, so the training data fill the KAN's default
grid exactly (standardising instead would leave a few percent of the samples
outside the grid).  Test points beyond the training range are not clipped:
kanlab's splines continue linearly there.  Constant features map to 0.
Regression targets are standardised (mean 0, standard deviation 1) for
training and mapped back in ``predict``, so the loss scale and the optimiser's
step sizes do not depend on the units of ``y``.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from kanlab._validation import check_int

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets, type_of_target
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("kanlab.sklearn needs scikit-learn >= 1.6; install it with "
                      "pip install 'kanlab[sklearn]'") from error

from kanlab.nn._network import KAN
from kanlab.train._optim import LBFGS, Adam
from kanlab.train._fit import FitConfig, fit, penalties

__all__ = ["KANRegressor", "KANClassifier"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_PREDICT_CHUNK = 8192  # rows per forward pass in predict: bounds the basis tensor's memory


class _KANEstimator(BaseEstimator):
    """Shared hyper-parameters, input scaling and model construction."""

    def __init__(self, hidden=(5,), grid=5, k=3, steps=50, opt="LBFGS", lr=1.0, lamb=0.0,
                 lamb_smooth=0.0, batch=-1, grid_update=True, grids=None, base_fun="silu",
                 random_state=None, dtype="float64"):
        self.hidden = hidden
        self.grid = grid
        self.k = k
        self.steps = steps
        self.opt = opt
        self.lr = lr
        self.lamb = lamb
        self.lamb_smooth = lamb_smooth
        self.batch = batch
        self.grid_update = grid_update
        self.grids = grids
        self.base_fun = base_fun
        self.random_state = random_state
        self.dtype = dtype

    # -- checks and construction (called from fit) --------------------------------------

    def _torch_dtype(self) -> torch.dtype:
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        return _DTYPES[self.dtype]

    def _hidden(self) -> list[int]:
        hidden = self.hidden
        if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
            raise TypeError(f"hidden must be a sequence of layer sizes, got {self.hidden!r}")
        try:
            return [check_int(h, "hidden", low=1) for h in hidden]
        except ValueError:  # ArgumentTypeError too
            raise ValueError(f"hidden must hold positive ints, got {self.hidden!r}") from None

    def _grid_schedule(self) -> list[int]:
        schedule = [self.grid] if self.grids is None else list(self.grids)
        try:
            if not schedule:
                raise ValueError("empty")
            return [check_int(g, "grid", low=1) for g in schedule]
        except ValueError:  # ArgumentTypeError too
            raise ValueError("grid must be a positive int and grids None or a non-empty sequence "
                             f"of positive ints, got grid={self.grid!r}, grids={self.grids!r}") from None

    def _fit_config(self, seed: int) -> FitConfig:
        steps = self.steps
        return FitConfig(opt=self.opt, steps=steps, lr=self.lr, lamb=self.lamb,
                         lamb_smooth=self.lamb_smooth, batch=self.batch,
                         update_grid=bool(self.grid_update), seed=seed, progress=False,
                         eval_every=steps if isinstance(steps, int) and steps > 0 else 1)

    def _seed(self) -> int:
        # one draw, so an int random_state gives the same model on every fit
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    def _build(self, n_out: int, seed: int) -> KAN:
        check_int(self.k, "k", low=0)
        width = [self.n_features_in_, *self._hidden(), n_out]
        return KAN(width, grid=self._grid_schedule()[0], k=int(self.k), seed=seed,
                   base_fun=self.base_fun, dtype=self._torch_dtype())

    def _set_scaling(self, X: np.ndarray) -> None:
        lo, hi = X.min(axis=0), X.max(axis=0)
        half = (hi - lo) / 2
        self.x_center_ = (hi + lo) / 2
        self.x_half_range_ = np.where(half > 0, half, 1.0)

    def _to_tensor(self, X: np.ndarray) -> Tensor:
        """Scaled inputs as a fresh tensor of the model's dtype (a copy: X may be read-only)."""
        scaled = (X - self.x_center_) / self.x_half_range_
        return torch.tensor(scaled, dtype=self.module_.dtype)

    @torch.no_grad()
    def _forward(self, X) -> np.ndarray:
        check_is_fitted(self, "module_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        x = self._to_tensor(X)
        outs = [self.module_(x[i:i + _PREDICT_CHUNK]) for i in range(0, x.shape[0], _PREDICT_CHUNK)]
        return torch.cat(outs).to(torch.float64).numpy()

    def _train_stages(self, model: KAN, step_fn) -> KAN:
        """Train on every grid of the schedule, refining between stages."""
        with warnings.catch_warnings():
            # constant features (common: blank pixels) are expected here; they map to 0
            # and keep their grid, so update_grid's warning about them is noise
            warnings.filterwarnings("ignore", message="update_grid: inputs", category=RuntimeWarning)
            for i, g in enumerate(self._grid_schedule()):
                if i:
                    model = model.refine(g)
                step_fn(model)
        return model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.non_deterministic = False  # deterministic for a fixed random_state
        return tags


def _warn_nonfinite(status: str) -> None:
    if status != "completed":
        warnings.warn("the loss became non-finite; training stopped and the parameters of the "
                      "last finite step were kept (try a smaller lr)", ConvergenceWarning,
                      stacklevel=3)


class KANRegressor(RegressorMixin, _KANEstimator):
    """Kolmogorov–Arnold network regressor (mean squared error), single or multi-output.

    Parameters
    ----------
    hidden
        sizes of the hidden layers; the width is
        ``[n_features, *hidden, n_outputs]`` (``()`` gives a one-layer KAN).
    grid
        grid intervals of every spline (ignored when ``grids`` is given).
    k
        spline degree.
    steps
        optimiser steps per grid (an L-BFGS step runs up to 20 iterations).
    opt
        ``"LBFGS"`` or ``"Adam"``.
    lr
        learning rate (1.0 suits L-BFGS, about 1e-2 Adam).
    lamb
        sparsity regularisation weight; lamb_smooth: smoothness weight.
    batch
        samples per step, -1 for full batch.
    grid_update
        let the knots follow the data during the first steps.
    grids
        optional increasing grid schedule, e.g. ``(3, 5, 10)``: train
        ``steps`` on each, refining the grid in between (grid extension).
    base_fun
        residual function of every edge (see :class:`kanlab.KAN`).
    random_state
        seed of the initialisation and minibatches (int,
        ``RandomState`` or None).
    dtype
        ``"float64"`` (default) or ``"float32"``.

    Attributes
    ----------
    module_
        the trained :class:`kanlab.KAN` (it sees scaled inputs and targets).
    history_
        the :class:`kanlab.History` of the last grid stage.
    n_features_in_, feature_names_in_
        as in scikit-learn.
    x_center_, x_half_range_
        input scaling, ``(X - center) / half_range``.
    y_mean_, y_scale_
        target standardisation.
    """

    def fit(self, X, y):
        """Fit on ``X`` ``(n_samples, n_features)`` and ``y`` ``(n_samples,)`` or ``(n_samples, n_outputs)``."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64,
                             ensure_min_samples=2)
        y = np.asarray(y, dtype=np.float64)
        self._y_ndim = y.ndim
        y2 = y.reshape(len(y), -1)
        self._set_scaling(X)
        self.y_mean_ = y2.mean(axis=0)
        std = y2.std(axis=0)
        self.y_scale_ = np.where(std > 0, std, 1.0)
        seed = self._seed()
        cfg = self._fit_config(seed)
        self.module_ = self._build(y2.shape[1], seed)
        x = self._to_tensor(X)
        t = torch.tensor((y2 - self.y_mean_) / self.y_scale_, dtype=self.module_.dtype)
        data = {"train_input": x, "train_label": t, "test_input": x, "test_label": t}

        def stage(model: KAN) -> None:
            self.history_ = fit(model, data, cfg)
            _warn_nonfinite(self.history_.status)

        self.module_ = self._train_stages(self.module_, stage)
        return self

    def predict(self, X) -> np.ndarray:
        """Predictions ``(n_samples,)``, or ``(n_samples, n_outputs)`` when fitted on 2-D ``y``."""
        out = self._forward(X) * self.y_scale_ + self.y_mean_
        return out.ravel() if self._y_ndim == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


class KANClassifier(ClassifierMixin, _KANEstimator):
    """Kolmogorov–Arnold network classifier (softmax cross-entropy), binary or multiclass.

    The network has one output (logit) per class; labels may be any
    hashable values (ints, strings).  Hyper-parameters as for
    :class:`KANRegressor`.  Grid updates follow :class:`kanlab.FitConfig`'s
    schedule (every ``stop_grid_update_step // grid_update_num`` steps before
    ``stop_grid_update_step``).

    Attributes
    ----------
    classes_
        the sorted class labels.
    module_
        the trained :class:`kanlab.KAN` (outputs: logits).
    loss_curve_
        training loss (cross-entropy plus regularisation) per step.
    n_features_in_, feature_names_in_, x_center_, x_half_range_
        as for the regressor.
    """

    def fit(self, X, y):
        """Fit on ``X`` ``(n_samples, n_features)`` and labels ``y`` ``(n_samples,)``."""
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=2)
        check_classification_targets(y)
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"KANClassifier supports binary or multiclass targets, got {kind}")
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("KANClassifier needs samples of at least 2 classes; got 1 class, "
                             f"{self.classes_[0]!r}")
        self._set_scaling(X)
        seed = self._seed()
        cfg = self._fit_config(seed)
        self.module_ = self._build(len(self.classes_), seed)
        x = self._to_tensor(X)
        labels = torch.as_tensor(codes.ravel(), dtype=torch.long)
        self.loss_curve_ = []
        self.module_ = self._train_stages(
            self.module_, lambda model: self._cross_entropy_fit(model, x, labels, cfg))
        return self

    def _cross_entropy_fit(self, model: KAN, x: Tensor, labels: Tensor, cfg: FitConfig) -> None:
        """Minimise cross-entropy plus regularisation with kanlab's optimisers."""
        n = x.shape[0]
        batch = n if cfg.batch == -1 else min(cfg.batch, n)
        generator = torch.Generator().manual_seed(cfg.seed)
        grid_every = max(1, cfg.stop_grid_update_step // cfg.grid_update_num)
        params = [p for p in model.parameters() if p.requires_grad]

        def make_optimizer():
            if cfg.opt == "LBFGS":
                return LBFGS(params, lr=cfg.lr,
                             max_iter=cfg.max_iter, history_size=cfg.history_size)
            return Adam(params, lr=cfg.lr)

        optimizer = make_optimizer()
        good = {name: t.detach().clone() for name, t in model.state_dict().items()}
        for step in range(cfg.steps):
            if batch == n:
                xb, yb = x, labels
            else:
                idx = torch.randperm(n, generator=generator)[:batch]
                xb, yb = x[idx], labels[idx]
            if (cfg.update_grid and step % grid_every == 0
                    and cfg.start_grid_update_step <= step < cfg.stop_grid_update_step):
                model.update_grid(xb)
                optimizer = make_optimizer()  # curvature pairs refer to the old knots

            def closure() -> Tensor:
                for p in params:
                    p.grad = None
                logits, reg = penalties(model, xb, cfg)
                loss = F.cross_entropy(logits, yb) + reg
                if torch.isfinite(loss):
                    loss.backward()
                return loss

            loss = optimizer.step(closure)
            if not (math.isfinite(loss) and all(bool(torch.isfinite(p).all()) for p in params)):
                model.load_state_dict(good)
                _warn_nonfinite("nonfinite")
                return
            good = {name: t.detach().clone() for name, t in model.state_dict().items()}
            self.loss_curve_.append(float(loss))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in the order of ``classes_``."""
        logits = torch.from_numpy(self._forward(X))
        return torch.softmax(logits, dim=-1).numpy()

    def predict(self, X) -> np.ndarray:
        """Most probable class label per sample, ``(n_samples,)``."""
        logits = self._forward(X)  # checks fitted-ness before classes_ is touched
        return self.classes_[np.argmax(logits, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.multi_label = False
        return tags
