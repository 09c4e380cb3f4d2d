"""scikit-learn estimators: :class:`KANRegressor` and :class:`KANClassifier`.

Needs scikit-learn >= 1.6 (``pip install 'kanlab[sklearn]'``).  The
hyper-parameters are stored verbatim by ``__init__`` and checked in ``fit``,
which builds a fresh :class:`kanlab.KAN` every time.  With the defaults a fit
chooses the model's flexibility on the training data (see :class:`KANRegressor`);
modules: ``_base`` and ``_estimators``.  The closed-form one-layer fit they use
lives in the training layer, where :mod:`kanlab.discover` uses it too:
:mod:`kanlab.train._input_scaling` (robust input scaling),
:mod:`kanlab.train._additive` (one-layer KANs as penalised linear models) and
:mod:`kanlab.train._additive_selection` (the leave-one-out / fold search).
"""
try:
    import sklearn  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("kanlab.sklearn needs scikit-learn >= 1.6; install it with "
                      "pip install 'kanlab[sklearn]'") from error

from kanlab.sklearn._estimators import KANClassifier, KANRegressor

__all__ = ["KANRegressor", "KANClassifier"]
