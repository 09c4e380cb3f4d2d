"""Handwritten digits: a KAN classifier against an MLP of about the same size.

scikit-learn's bundled 8×8 digits (1797 images, 10 classes; no download),
split 75/25 with a fixed seed.  Prints test accuracy, trainable parameter
counts and fit times; writes ``digits.png`` (accuracy bars and the KAN's
confusion matrix) into ``--out``.

    python examples/digits.py --out runs/digits
"""
from __future__ import annotations

import argparse
import io
import os
import time

import numpy as np
import torch


def kan_parameters(model) -> int:
    """Trainable parameters: spline coefficients and scales (the base weights are fixed by default)."""
    return sum(p.numel() for p in model.module_.parameters() if p.requires_grad)


def mlp_parameters(model) -> int:
    return sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/digits", help="folder for digits.png")
    parser.add_argument("--hidden", type=int, default=8, help="KAN hidden width")
    parser.add_argument("--grid", type=int, default=3, help="KAN grid intervals")
    parser.add_argument("--steps", type=int, default=5, help="KAN L-BFGS steps")
    parser.add_argument("--smooth", type=float, default=1e-2, help="KAN smoothness penalty")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # small models: one thread is fastest

    from sklearn.datasets import load_digits
    from sklearn.metrics import confusion_matrix
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    from kanlab.sklearn import KANClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.seed)

    kan = KANClassifier(hidden=(args.hidden,), grid=args.grid, k=3, steps=args.steps,
                        lamb_smooth=args.smooth, random_state=args.seed)
    start = time.perf_counter()
    kan.fit(X_train, y_train)
    kan_time = time.perf_counter() - start
    n_kan = kan_parameters(kan)

    # an MLP with one hidden layer of about the KAN's trainable parameter count:
    # 64·h + h + 10·h + 10 = n_kan
    h = max(1, round((n_kan - 10) / 75))
    mlp = MLPClassifier(hidden_layer_sizes=(h,), max_iter=2000, random_state=args.seed)
    start = time.perf_counter()
    mlp.fit(X_train / 16.0, y_train)  # pixels are 0..16
    mlp_time = time.perf_counter() - start

    results = {
        "KAN": {"accuracy": kan.score(X_test, y_test), "parameters": n_kan, "fit_s": kan_time,
                "shape": f"[64, {args.hidden}, 10], G={args.grid}, k=3"},
        "MLP": {"accuracy": mlp.score(X_test / 16.0, y_test), "parameters": mlp_parameters(mlp),
                "fit_s": mlp_time, "shape": f"[64, {h}, 10], ReLU, Adam"},
    }
    print(f"digits: {len(X_train)} train / {len(X_test)} test images")
    for name, r in results.items():
        print(f"{name}  {r['shape']:<26} test accuracy {r['accuracy']:.4f}  "
              f"parameters {r['parameters']:5d}  fit {r['fit_s']:.1f} s")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "digits.png")
    write_figure(path, results, confusion_matrix(y_test, kan.predict(X_test)))
    print(f"wrote {path}")
    return results


def write_figure(path: str, results: dict, confusion: np.ndarray) -> None:
    from matplotlib.figure import Figure

    from kanlab.io._atomic import atomic_write_bytes

    fig = Figure(figsize=(10, 4.2), layout="constrained")
    bars, matrix = fig.subplots(1, 2, width_ratios=[1, 1.4])
    names = list(results)
    acc = [results[n]["accuracy"] for n in names]
    bars.bar(names, acc, color=["tab:blue", "tab:gray"])
    for i, n in enumerate(names):
        bars.text(i, acc[i] + 0.003, f"{acc[i]:.3f}\n{results[n]['parameters']} params",
                  ha="center", va="bottom", fontsize=9)
    bars.set_ylim(min(acc) - 0.05, 1.0)
    bars.set_ylabel("test accuracy")
    bars.set_title("digits: KAN vs MLP")
    image = matrix.imshow(confusion, cmap="Blues")
    matrix.set_xticks(range(10))
    matrix.set_yticks(range(10))
    matrix.set_xlabel("predicted digit")
    matrix.set_ylabel("true digit")
    matrix.set_title("KAN confusion matrix (test set)")
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            matrix.text(j, i, str(count), ha="center", va="center", fontsize=7,
                        color="white" if count > confusion.max() / 2 else "black")
    fig.colorbar(image, ax=matrix, shrink=0.8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    atomic_write_bytes(path, buffer.getvalue())


if __name__ == "__main__":
    main()
