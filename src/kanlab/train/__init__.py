"""Training: ``fit``, optimisers, regularisers, diagnostics, data-parallel runs, datasets."""
from kanlab.train._datasets import create_dataset, seed_function
from kanlab.train._diagnostics import out_of_grid, out_of_grid_fraction
from kanlab.train._config import FitConfig
from kanlab.train._fit import NonFiniteLossError, fit
from kanlab.train._history import History
from kanlab.train._optim import LBFGS, Adam
from kanlab.train._regularization import (entropy_penalty, l1_penalty, smoothness_penalty,
                                          sparsity_penalty)

__all__ = ["fit", "FitConfig", "History", "NonFiniteLossError", "LBFGS", "Adam",
           "l1_penalty", "entropy_penalty", "sparsity_penalty", "smoothness_penalty",
           "out_of_grid", "out_of_grid_fraction", "create_dataset", "seed_function"]
