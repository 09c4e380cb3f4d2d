"""kanlab.pykan's fit with the continuation choice's winning trial kept (not retrained):
pykan's dict of lists keeps one entry per step, with the same values as the retrained path."""
import pytest
import torch

import kanlab.train._fit as fit_module
from kanlab.pykan import KAN, create_dataset


def _fit(keep: bool, lamb: float):
    fit_module_keep = fit_module.KEEP_TRIALS
    fit_module.KEEP_TRIALS = keep
    try:
        ds = create_dataset(lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2),
                            n_var=2, train_num=300, test_num=100, seed=0)
        model = KAN(width=[2, 1, 1], grid=3, k=3, seed=1, auto_save=False)
        seen = []
        results = model.fit(ds, opt="LBFGS", steps=12, lamb=lamb, log=0,
                            metrics=[lambda: seen.append(1) or float(model.layers[0].coef.sum())])
        return model, results, seen
    finally:
        fit_module.KEEP_TRIALS = fit_module_keep


@pytest.mark.parametrize("lamb", [0.0, 0.001])
def test_kept_trials_give_pykans_lists_step_for_step(lamb):
    """Every list has one entry per step, every metric ran once per step, and the values
    (and the trained parameters) are those of the retrained path, bit for bit."""
    kept_model, kept, kept_seen = _fit(True, lamb)
    old_model, old, old_seen = _fit(False, lamb)
    assert set(kept) == set(old) and all(len(v) == 12 for v in kept.values())
    assert len(kept_seen) == len(old_seen) == 12
    for name in kept:
        assert [float(v) for v in kept[name]] == [float(v) for v in old[name]], name
    for p, q in zip(kept_model.parameters(), old_model.parameters()):
        assert torch.equal(p, q)
    assert [layer.extrapolate for layer in kept_model.layers] == \
        [layer.extrapolate for layer in old_model.layers]
