"""pykan-compatible API on kanlab's engine: ``from kanlab.pykan import *`` for ``from kan import *``.

A thin adapter: :class:`MultKAN` (alias ``KAN``, as pykan's) subclasses :class:`kanlab.nn.KAN`
and translates pykan's arguments and return values; the submodules
``kanlab.pykan.utils``, ``.spline``, ``.MultKAN`` and ``.LBFGS`` stand for
``kan.utils``, ``kan.spline``, ``kan.MultKAN`` and ``kan.LBFGS``.  As in pykan,
``import *`` also brings ``torch``, ``nn``, ``np``, ``plt``, ``tqdm``, ``copy``, ``os``,
``random``, ``sympy`` and sympy's names.  ``kanlab.pykan.MLP``, ``.hypothesis`` and
``.compiler`` stand for ``kan.MLP``, ``kan.hypothesis`` and ``kan.compiler``;
``.KANLayer``, ``.Symbolic_KANLayer`` and ``.experiment`` for pykan's modules of those
names (the standalone layers :class:`KANLayer` and :class:`Symbolic_KANLayer`).

Side effects, as pykan's and only here: with ``auto_save=True`` (pykan's
default) a model writes a checkpoint after each change to ``ckpt_path``
(default ``./model``) as ``<round>.<state_id>.pt``; ``fit`` shows a progress
bar on stderr.  Differences from pykan are listed in
:class:`kanlab.pykan.KAN` and the module docstrings.
"""
import copy  # noqa: F401 - as pykan's `import *`: copy, glob, os, random, sympy, tqdm
import glob  # noqa: F401
import os  # noqa: F401
import random  # noqa: F401

import matplotlib.pyplot as plt
import sympy  # noqa: F401
import numpy as np
import torch
from torch import nn
from tqdm import tqdm  # noqa: F401
from sympy import *  # noqa: F401,F403 - pykan's `from kan import *` brings sympy's names

# from the submodules, so that these names stay the classes when the submodules of the same
# names are imported later (as in pykan, whose __init__ does ``from .MultKAN import *``)
from kanlab.pykan.LBFGS import LBFGS
from kanlab.pykan.MultKAN import KAN, MultKAN
from kanlab.pykan.KANLayer import KANLayer
from kanlab.pykan.Symbolic_KANLayer import Symbolic_KANLayer
from kanlab.pykan.spline import B_batch, coef2curve, curve2coef, extend_grid
from kanlab.pykan.utils import *  # noqa: F401,F403 - pykan's `from .utils import *` (utils.__all__)
from kanlab.pykan.hypothesis import plot_tree

