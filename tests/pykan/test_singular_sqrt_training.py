"""Adam under ``singularity_avoiding`` on an all-symbolic radius ``sqrt(x² + y²)``.

The fitted constant under the ``sqrt`` belongs at 0, the end of its domain, so Adam's
steps of size ``lr`` push the argument of the samples near the origin below 0.  pykan
continues ``sqrt`` there as ``−sqrt(−u)``; kanlab's stand-in used to be the flat
``sqrt(0) = 0`` with no gradient, the stranded samples were never pulled back and the fit
spiked after ~850 steps (pykan's Example_9 cell 15: ×2.76 of the notebook's 5.1e-4; from
this start pykan 0.2.8 ends at 1.1e-7, kanlab ended at 4.9e-4, max of the last 100 steps
4.2e-3).
"""
import numpy as np
import pytest
import torch

from kanlab.pykan import KAN, create_dataset

# kanlab.pykan's fix_symbolic on Example_9's [2,1,1] seed-0 model (rounded): x^2, x^2, sqrt
_INNER = [(1.0, 1.2588e-04, -2.5965e-01, 1.0002e-01), (1.0, -7.7392e-05, -2.5976e-01, 9.9624e-02)]
_OUTER = (-1.0, 0.20032899081707, 1.9707870483398438, -0.005554663483053446)


def _radius_model():
    model = KAN(width=[2, 1, 1], grid=5, k=3, seed=0, auto_save=False)
    for i in range(2):
        model.fix_symbolic(0, i, 0, "x^2", fit_params_bool=False)
    model.fix_symbolic(1, 0, 0, "sqrt", fit_params_bool=False)
    with torch.no_grad():
        for i, p in enumerate(_INNER):
            model.symbolic[0].affine[0, i] = torch.tensor(p)
        model.symbolic[1].affine[0, 0] = torch.tensor(_OUTER)
    return model


@pytest.mark.slow
def test_adam_with_singularity_avoiding_stays_at_its_floor_on_a_radius(capsys):
    dataset = create_dataset(lambda x: torch.sqrt(x[:, [0]] ** 2 + x[:, [1]] ** 2), n_var=2,
                             seed=0)
    model = _radius_model()
    out = model.fit(dataset, opt="Adam", steps=1000, lr=1e-3, update_grid=False,
                    singularity_avoiding=True)
    train = np.asarray(out["train_loss"], dtype=float)
    assert train.min() < 1e-6  # it reaches the float32 floor either way
    assert train[-100:].max() < 1e-5, train[-100:].max()
    assert out["test_loss"][-1] < 1e-5
