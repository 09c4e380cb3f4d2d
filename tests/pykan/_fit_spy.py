"""Records the ``FitConfig`` that kanlab.pykan's ``fit`` hands to kanlab's fit."""
from __future__ import annotations


def fit_configs(monkeypatch) -> list:
    """Wrap kanlab.pykan's call into kanlab's fit for the test's duration; the returned list
    fills with one config per ``fit`` call."""
    from kanlab.pykan import _fit
    seen = []
    real = _fit._fit

    def spy(model, dataset, cfg):
        seen.append(cfg)
        return real(model, dataset, cfg)

    monkeypatch.setattr(_fit, "_fit", spy)
    return seen
