"""Round 13w of the pykan user patterns: whole third-party scripts run unchanged."""
import matplotlib

import torch

import kanlab.pykan as K

matplotlib.use("Agg")


def test_plot_scores_the_model_as_pykans():
    # a contrastive-learning script reads model.edge_scores after model.plot(in_vars=...) and
    # auto_symbolic, never calling attribute(): pykan 0.2.8's plot (metric='backward') calls
    # self.attribute() before drawing, so the scores are there
    import matplotlib.pyplot as plt
    model = K.KAN(width=[3, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    model(torch.rand(50, 3) * 2 - 1)
    assert model.edge_scores is None
    model.plot(in_vars=["a", "b", "c"])
    plt.close("all")
    assert [tuple(s.shape) for s in model.edge_scores] == [(2, 3), (1, 2)]
    assert [len(s) for s in model.node_scores] == [3, 2, 1]
    assert torch.allclose(model.feature_score, model.node_scores[0])


def test_plot_with_a_forward_metric_leaves_the_scores_alone():
    import matplotlib.pyplot as plt
    model = K.KAN(width=[3, 2, 1], grid=3, k=3, seed=0, auto_save=False)
    model(torch.rand(50, 3) * 2 - 1)
    model.plot(metric="forward_n")
    plt.close("all")
    assert model.edge_scores is None


def test_plot_before_any_data_still_draws():
    import matplotlib.pyplot as plt
    model = K.KAN(width=[2, 3, 1], grid=3, k=3, seed=0, auto_save=False)
    model.plot()
    plt.close("all")
    assert model.edge_scores is None
