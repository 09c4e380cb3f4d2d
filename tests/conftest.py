"""Shared fixtures: small float64 datasets and models built with private generators."""
import math
import os

import pytest

# Triton's kernels run on CPU tensors in the tests (tests/ops/test_triton.py) through its
# interpreter; triton reads the switch when it is first imported, and other tests
# (torch.compile) may import it before the Triton tests run.
os.environ.setdefault("TRITON_INTERPRET", "1")
import torch

import kanlab
from kanlab import config

# The suite's models are small: one intra-op thread is fastest, and keeps the
# run time steady on a busy machine.
torch.set_num_threads(1)


def seed_target(x):
    """exp(sin(pi x) + y^2), the KAN paper's running example."""
    return torch.exp(torch.sin(math.pi * x[:, [0]]) + x[:, [1]] ** 2)


@pytest.fixture
def kanlab_config():
    """``kanlab.config.set`` for one test; every switch is restored after it."""
    previous = config.get()
    yield config.set
    config.set(**{name: getattr(previous, name) for name in previous.__dataclass_fields__})


@pytest.fixture
def seed_data():
    return kanlab.create_dataset(seed_target, 2, train_num=200, test_num=200, seed=0,
                                 dtype=torch.float64)
