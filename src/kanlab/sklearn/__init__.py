"""scikit-learn estimators: :class:`KANRegressor` and :class:`KANClassifier`.

Needs scikit-learn >= 1.6 (``pip install 'kanlab[sklearn]'``).  The
hyper-parameters are stored verbatim by ``__init__`` and checked in ``fit``,
which builds a fresh :class:`kanlab.KAN` every time.  With the defaults a fit
chooses the model's flexibility on the training data (see :class:`KANRegressor`);
modules: ``_preprocessing`` (robust input and target scaling), ``_additive``
(one-layer KANs as penalised linear models), ``_selection`` (the validation
search), ``_base`` and ``_estimators``.
"""
try:
    import sklearn  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("kanlab.sklearn needs scikit-learn >= 1.6; install it with "
                      "pip install 'kanlab[sklearn]'") from error

from kanlab.sklearn._estimators import KANClassifier, KANRegressor

__all__ = ["KANRegressor", "KANClassifier"]
