"""KANRegressor and KANClassifier."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import validate_data

from kanlab._threads import one_thread
from kanlab.sklearn._base import KANEstimatorBase, _is_auto
from kanlab.train._additive_selection import select_classification, select_regression
from kanlab.train._history import History
from kanlab.train._label_scale import LabelScale

__all__ = ["KANRegressor", "KANClassifier"]

_PARAMS_DOC = """
    hidden: ``"auto"`` (default): a one-layer KAN ``[n_features, n_outputs]``
        whose flexibility is chosen on the training data (see above).  A
        sequence of sizes gives the width ``[n_features, *hidden, n_outputs]``
        trained by gradient steps with the parameters below (``()``: one layer).
    grid: grid intervals of every spline; ``"auto"`` chooses it.
    k: spline degree.
    alpha: ridge penalty of the standardised linear weights, as ``RidgeCV`` /
        ``LogisticRegression`` (``1/C``) use it (auto: chosen from 0.1, 1, 10).
    lamb_smooth: weight of the spline smoothness penalty ``∫ s''²`` relative to
        the data term (auto: chosen from 1e-2 to 1e3 for regression, 1 to 100 for
        classification, or the splines are left out).
    steps: L-BFGS iterations (auto: 300) of a classifier's convex fit, or optimiser
        steps per grid of the gradient path (auto: 50).
    opt, lr, lamb, batch, grid_update, grids, base_fun: the gradient path only
        (explicit ``hidden``): optimiser, learning rate, sparsity weight, batch size,
        grid updates, grid schedule (e.g. ``(3, 5, 10)``) and residual function.
    random_state: seed of the internal folds and the initialisation.
    dtype: ``"float64"`` (default) or ``"float32"`` for the module.
    device: where the module lives and predicts: ``"cpu"`` (default), ``"cuda"``,
        ``"cuda:1"``, ``"mps"`` (with ``dtype="float32"``; MPS has no float64), a
        ``torch.device``, or ``"auto"`` (the GPU when CUDA is usable, else the CPU).
        The default one-layer model is fitted in closed form on the CPU whatever the
        device, then moved there; explicit ``hidden`` widths train on the device.
        ``X`` and ``y`` are NumPy-like on the host and every result (``predict``,
        ``predict_proba``, attributes other than ``module_``) comes back as NumPy on
        the host.  A pickled estimator holds its module on the CPU and is moved back to
        ``device`` when loaded (left on the CPU, with a warning, where that device is
        absent).

    Attributes:
        module_: the fitted :class:`kanlab.KAN`; it sees the scaled inputs ``z``.
        best_grid_, best_alpha_, best_lamb_smooth_: what was chosen
            (``best_lamb_smooth_`` None: the splines are off, the model is linear,
            and ``best_grid_`` is 1, the module's grid, with zero spline coefficients).
        validation_score_: validation score of the chosen model (regression:
            leave-one-out R² on the standardised targets; classification: minus
            the mean cross-entropy on the internal folds, NaN when a class has too
            few samples for them and the logistic model is kept; None on the
            gradient path).
        search_results_: every candidate with its validation loss.
        n_iter_: optimiser iterations of the final fit (1 for the exact solve).
        history_: :class:`kanlab.History` of the final fit (the default regressor: one
            exact solve, ``test_rmse`` its leave-one-out RMSE on the standardised
            targets; the default classifier: ``train_rmse`` is the square root of the
            training loss per L-BFGS iteration).
        feature_importances_: the KAN's attribution scores of the inputs, summing to 1.
        feature_kinds_: per feature 0 constant (left out), 1 binary (linear only), 2 spline.
        x_center_, x_scale_: the robust input scaling (see :mod:`kanlab.train._input_scaling`).
        n_features_in_, feature_names_in_: as in scikit-learn.
"""

_DEFAULTS_DOC = """
    Defaults (``hidden="auto"``): features are scaled robustly (median and
    interquartile range; constant features dropped, binary ones kept linear);
    the model is a one-layer KAN with identity base function, i.e. a linear
    term plus one cubic spline per feature and output, on knots that follow
    the data's quantiles.  Being linear in its coefficients, it is fitted
    exactly (regression) or by L-BFGS on a convex loss (classification), and
    the ridge penalty, the grid size and the smoothness penalty are chosen on
    the training data (leave-one-out for regression, internal stratified folds
    for classification).  The splines are kept only if they beat the best
    linear model by a margin, so on small noisy data the estimator is ridge or
    logistic regression; with more data the splines take over.  Deterministic
    for a fixed ``random_state``; a fit takes milliseconds to a few seconds.
"""


_SYMBOLIC_DOC = """        symbolic: when True, ``fit`` also searches a closed-form formula for ``y``
            with :func:`kanlab.discover` (a seeded 60/20/20 split of the rows,
            KAN restarts read off as formulas, the simplest on the validation
            Pareto front; 1-D ``y`` and at least 20 rows).  ``predict`` stays the
            fitted KAN's.  Then also:
        formula_: the formula as a sympy expression whose symbols are the
            feature names (``feature_names_in_`` when fitted on a DataFrame, else
            ``x0, x1, ...``; a name that is not an identifier is mapped, see
            ``discovery_.name_map``).
        formula_str_: ``str(formula_)``; ``sympy.sympify(formula_str_,
            locals=discovery_.sympy_locals)`` gives it back.
        formula_fits_: whether the formula predicts the validation rows as well
            as the search's spline model (else it is the best approximation found).
        discovery_: the :class:`kanlab.discover.DiscoveryResult` (Pareto front,
            metrics, ``predict``).
"""


class KANRegressor(RegressorMixin, KANEstimatorBase):
    __doc__ = ("Kolmogorov–Arnold network regressor, single or multi-output.\n" + _DEFAULTS_DOC +
               "\n    Targets are standardised for training and predictions mapped back.\n"
               "\n    Args:" + _PARAMS_DOC +
               "        y_mean_, y_scale_: the target standardisation.\n" + _SYMBOLIC_DOC)

    def __init__(self, hidden="auto", grid="auto", k=3, alpha="auto", lamb_smooth="auto",
                 steps="auto", opt="LBFGS", lr=1.0, lamb=0.0, batch=-1, grid_update=True,
                 grids=None, base_fun="silu", random_state=None, dtype="float64",
                 symbolic=False, device="cpu"):
        super().__init__(hidden=hidden, grid=grid, k=k, alpha=alpha, lamb_smooth=lamb_smooth,
                         steps=steps, opt=opt, lr=lr, lamb=lamb, batch=batch,
                         grid_update=grid_update, grids=grids, base_fun=base_fun,
                         random_state=random_state, dtype=dtype, device=device)
        self.symbolic = symbolic

    def fit(self, X, y):
        """Fit on ``X`` ``(n_samples, n_features)`` and ``y`` ``(n_samples,)`` or ``(n_samples, n_outputs)``."""
        if not isinstance(self.symbolic, (bool, np.bool_)):
            raise TypeError(f"symbolic must be True or False, got {self.symbolic!r}")
        with one_thread():
            self._fit(X, y)
        if self.symbolic:
            from kanlab.sklearn._symbolic import attach_formula
            attach_formula(self, X, y)
        else:
            for name in ("formula_", "formula_str_", "formula_fits_", "discovery_"):
                self.__dict__.pop(name, None)
        return self

    def _fit(self, X, y):
        self._check_common()
        hidden = self._hidden()
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64,
                             ensure_min_samples=2)
        y = np.asarray(y, dtype=np.float64)
        self._y_ndim = y.ndim
        y2 = y.reshape(len(y), -1)
        z = self._scale_inputs(X)
        self.target_scaling_ = LabelScale.choose(y2, "standard")
        T = self.target_scaling_.to_fitted(y2)
        if hidden is None:
            choice = select_regression(z, T, self.feature_kinds_, int(self.k), self.grid,
                                       self.alpha, self.lamb_smooth)
            self._adopt(choice, validation_score=1.0 - choice.loss)
            pred = self.module_(torch.as_tensor(z, dtype=self.module_.dtype, device="cpu")).detach()
            rmse = float(torch.sqrt(torch.mean((pred.double() - torch.as_tensor(T, device="cpu"))
                                               ** 2)))
            self.history_ = History(step=[1], train_rmse=[rmse], test_rmse=[choice.loss ** 0.5],
                                    reg=[0.0], status="converged", stopped_at=1)
        else:
            self._gradient_fit(z, torch.as_tensor(T, device="cpu"), T.shape[1], hidden)
        self.module_ = self.module_.to(self._torch_device())
        self._set_importances(z)
        return self

    @property
    def y_mean_(self) -> np.ndarray:
        return np.asarray(self.target_scaling_.shift)

    @property
    def y_scale_(self) -> np.ndarray:
        return np.asarray(self.target_scaling_.scale)

    def predict(self, X) -> np.ndarray:
        """Predictions ``(n_samples,)``, or ``(n_samples, n_outputs)`` when fitted on 2-D ``y``."""
        raw = self._forward(X)  # checks fitted-ness first
        out = self.target_scaling_.to_labels(raw)
        if not np.isfinite(out).all():
            raise OverflowError("predictions exceed the float64 range (the model extrapolates "
                                "beyond ±1.8e308 in the units of y); rescale y before fitting")
        return out.ravel() if self._y_ndim == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


class KANClassifier(ClassifierMixin, KANEstimatorBase):
    __doc__ = ("Kolmogorov–Arnold network classifier (softmax cross-entropy), binary or "
               "multiclass.\n" + _DEFAULTS_DOC +
               "\n    The KAN has one output (logit) per class; labels may be any hashable\n"
               "    values.\n\n    Args:" + _PARAMS_DOC.replace(
                   "    random_state:",
                   "    class_weight: None, ``\"balanced\"`` or ``{label: weight}``; weights\n"
                   "        each sample's cross-entropy.\n    random_state:") +
               "        classes_: the sorted class labels.\n"
               "        loss_curve_: training loss per iteration of the final fit.\n")

    def __init__(self, hidden="auto", grid="auto", k=3, alpha="auto", lamb_smooth="auto",
                 steps="auto", opt="LBFGS", lr=1.0, lamb=0.0, batch=-1, grid_update=True,
                 grids=None, base_fun="silu", class_weight=None, random_state=None,
                 dtype="float64", device="cpu"):
        super().__init__(hidden=hidden, grid=grid, k=k, alpha=alpha, lamb_smooth=lamb_smooth,
                         steps=steps, opt=opt, lr=lr, lamb=lamb, batch=batch,
                         grid_update=grid_update, grids=grids, base_fun=base_fun,
                         random_state=random_state, dtype=dtype, device=device)
        self.class_weight = class_weight

    def fit(self, X, y):
        """Fit on ``X`` ``(n_samples, n_features)`` and labels ``y`` ``(n_samples,)``."""
        with one_thread():
            return self._fit(X, y)

    def _fit(self, X, y):
        self._check_common()
        hidden = self._hidden()
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=2)
        check_classification_targets(y)
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"KANClassifier supports binary or multiclass targets, got {kind}")
        self.classes_, codes = np.unique(y, return_inverse=True)
        codes = codes.ravel()
        if len(self.classes_) < 2:
            raise ValueError("KANClassifier needs samples of at least 2 classes; got 1 class, "
                             f"{self.classes_[0]!r}")
        weights = compute_sample_weight(self.class_weight, codes) if self.class_weight is not None \
            else np.ones(len(codes))
        z = self._scale_inputs(X)
        n_classes = len(self.classes_)
        if hidden is None:
            max_iter = 300 if _is_auto(self.steps) else int(self.steps)
            choice = select_classification(z, codes, n_classes, weights, self.feature_kinds_,
                                           int(self.k), max_iter, self._seed(), self.grid,
                                           self.alpha, self.lamb_smooth)
            self._adopt(choice, validation_score=-choice.loss)
            self.loss_curve_ = [v / weights.sum() for v in choice.loss_curve]
            self.history_ = History(step=list(range(1, len(self.loss_curve_) + 1)),
                                    train_rmse=[max(v, 0) ** 0.5 for v in self.loss_curve_],
                                    test_rmse=[], reg=[], status="converged",
                                    stopped_at=len(self.loss_curve_))
        else:
            w_cls = _class_weight_vector(codes, weights, n_classes, self._torch_dtype(),
                                         self._torch_device())
            self._gradient_fit(z, torch.as_tensor(codes, dtype=torch.long, device="cpu"),
                               n_classes, hidden,
                               loss_fn=lambda logits, labels: _weighted_ce(logits, labels, w_cls))
            self.loss_curve_ = [v ** 2 for v in self._train_curve]
        self.module_ = self.module_.to(self._torch_device())
        self._set_importances(z)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in the order of ``classes_``."""
        logits = torch.from_numpy(self._forward(X))
        return torch.softmax(logits, dim=-1).numpy()

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed stably."""
        return torch.log_softmax(torch.from_numpy(self._forward(X)), dim=-1).numpy()

    def predict(self, X) -> np.ndarray:
        """Most probable class label per sample, ``(n_samples,)``."""
        logits = self._forward(X)  # checks fitted-ness before classes_ is touched
        return self.classes_[np.argmax(logits, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.multi_label = False
        return tags


def _class_weight_vector(codes, weights, n_classes, dtype, device) -> torch.Tensor:
    """Per-class weight (every sample of a class has the same weight), normalised to mean 1."""
    per_class = np.ones(n_classes)
    for c in range(n_classes):
        if np.any(codes == c):
            per_class[c] = weights[codes == c][0]
    return torch.as_tensor(per_class / np.average(per_class, weights=np.bincount(
        codes, minlength=n_classes)), dtype=dtype, device="cpu").to(device)


def _weighted_ce(logits, labels, w_cls):
    """Cross-entropy, each sample weighted by its class's weight (mean over samples)."""
    return (F.cross_entropy(logits, labels, reduction="none") * w_cls[labels]).mean()
