"""Tutorial 1: fit the KAN paper's seed function with a [2, 5, 1] KAN.

    f(x, y) = exp(sin(pi x) + y^2)   on [-1, 1]^2

Run it from the repository root (a minute or less on one core)::

    python docs/tutorials/fit_seed.py

It prints the test RMSE after training and the last line is
``RESULT test_rmse=<value>``.
"""
import math

import torch

import kanlab


def target(x):
    return torch.exp(torch.sin(math.pi * x[:, [0]]) + x[:, [1]] ** 2)


def main():
    torch.set_num_threads(1)  # small KANs run fastest on one thread
    # pykan's four keys: train_input, train_label, test_input, test_label
    data = kanlab.create_dataset(target, n_var=2, train_num=500, test_num=500, seed=0,
                                 dtype=torch.float64)
    model = kanlab.KAN(width=[2, 5, 1], grid=5, k=3, seed=0, dtype=torch.float64)

    # L-BFGS, full batch; the knots follow the data during the first steps
    history = model.fit(data, opt="LBFGS", steps=20, progress=False)
    for step, rmse in zip(history.step[::5], history.test_rmse[::5]):
        print(f"step {step:3d}: test RMSE {rmse:.3e}")
    print(f"final test RMSE {history.test_rmse[-1]:.3e} ({history.status})")

    # the model is an ordinary torch.nn.Module
    x = torch.tensor([[0.5, -0.25]], dtype=torch.float64)
    print(f"f(0.5, -0.25) = {target(x).item():.4f}, model: {model(x).item():.4f}")
    print(f"RESULT test_rmse={history.test_rmse[-1]:.6e}")
    return history


if __name__ == "__main__":
    main()
