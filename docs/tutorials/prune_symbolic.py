"""Tutorial 3: from a trained KAN to a formula -- sparsity, pruning, symbolic edges.

The KAN paper's recipe on exp(sin(pi x) + y^2):

1. train a [2, 5, 1] KAN with the sparsity penalty ``lamb``;
2. ``prune`` the hidden nodes whose attribution score is small: [2, 5, 1] -> [2, 1, 1];
3. refine the grid (10, then 20) and train again;
4. ``auto_symbolic`` fits every edge with c*f(a*x+b)+d over the candidate
   library; training once more tunes a, b, c, d;
5. ``symbolic_formula`` composes the edges into one sympy expression.

    python docs/tutorials/prune_symbolic.py

The last line is ``RESULT width=<n,n,n> formula=<the rest of the line>``.
"""
import math

import torch

import kanlab
from kanlab.symbolic import round_formula


def target(x):
    return torch.exp(torch.sin(math.pi * x[:, [0]]) + x[:, [1]] ** 2)


def main():
    torch.set_num_threads(1)
    data = kanlab.create_dataset(target, n_var=2, train_num=1000, test_num=1000, seed=0,
                                 dtype=torch.float64)
    model = kanlab.KAN([2, 5, 1], grid=5, k=3, seed=0, dtype=torch.float64)
    model.fit(data, steps=50, lamb=0.01, progress=False)  # sparse: few strong edges

    scores = model.attribute()  # pykan's attribution, on the training inputs
    print("hidden node scores:", [round(s, 3) for s in scores.node_scores[1].tolist()])
    model = model.prune(node_th=0.05)
    print("pruned to width", model.width)

    for g in (10, 20):
        model = model.refine(g)
        history = model.fit(data, steps=50, progress=False)
        print(f"grid {g}: test RMSE {history.test_rmse[-1]:.3e}")

    for l, i, j in [(0, 0, 0), (0, 1, 0), (1, 0, 0)]:
        best = model.suggest_symbolic(l, i, j, topk=1)[0]
        print(f"edge ({l},{i},{j}): best candidate {best.name}, R^2 = {best.r2:.6f}")
    model.auto_symbolic(r2_threshold=0.99)
    model.fit(data, steps=50, update_grid=False, progress=False)  # tunes a, b, c, d

    formula = round_formula(model.symbolic_formula(["x", "y"])[0])
    print("formula:", formula)
    width = ",".join(map(str, model.width))
    print(f"RESULT width={width} formula={formula}")
    return model, formula


if __name__ == "__main__":
    main()
