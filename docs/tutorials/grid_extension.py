"""Tutorial 2: grid extension -- refine the splines instead of retraining from scratch.

A [2, 1, 1] KAN represents exp(sin(pi x) + y^2) exactly in structure, so its
error is the splines' approximation error; refining the grid G lowers it
roughly like G^-4 for cubic splines.  ``model.refine(G)`` returns a copy on the
finer grid that computes the same function; training then continues from there.

    python docs/tutorials/grid_extension.py

Each refinement doubles G, so the refined splines contain the old ones
exactly and the output changes only by rounding.

The last line is ``RESULT grids=<G,...> test_rmse=<r,...>``.
"""
import math

import torch

import kanlab


def target(x):
    return torch.exp(torch.sin(math.pi * x[:, [0]]) + x[:, [1]] ** 2)


def main():
    torch.set_num_threads(1)
    data = kanlab.create_dataset(target, n_var=2, train_num=500, test_num=500, seed=0,
                                 dtype=torch.float64)
    model = kanlab.KAN([2, 1, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    grids, rmses = [], []
    for i, g in enumerate([5, 10, 20]):
        if i:
            before = model(data["test_input"])
            model = model.refine(g)  # same function on the finer grid
            change = (model(data["test_input"]) - before).abs().max().item()
            print(f"refine to G={g}: largest change of the output {change:.1e}")
        history = model.fit(data, opt="LBFGS", steps=20, progress=False)
        grids.append(g)
        rmses.append(history.test_rmse[-1])
        print(f"G={g:3d}: test RMSE {rmses[-1]:.3e}")
    print("RESULT grids=" + ",".join(map(str, grids))
          + " test_rmse=" + ",".join(f"{r:.6e}" for r in rmses))
    return grids, rmses


if __name__ == "__main__":
    main()
