"""The cases of ``pykan_user_patterns.py``: pykan 0.2.x code as users write it.

Each case takes the library module ``K`` (``kan`` or ``kanlab.pykan``), runs one usage
pattern seen in public pykan code (written afresh here: small data, few steps) and returns
its key numbers.  Patterns: classification with ``CrossEntropyLoss`` and ``metrics``, sklearn
tables, ``opt="Adam"`` with ``lr``/``batch``, prune thresholds, ``auto_symbolic`` with sympy
post-processing, ``refine`` loops, custom training loops over ``model.parameters()``,
``nn.Sequential``, ``state_dict`` and checkpoint round trips, float64 models and inputs.

One module per kind (``classification``, ``regression``, ``symbolic``, ``models``,
``dtypes``, ``custom``; a second round: ``analysis``, ``formulas``, ``workflows``; a third:
``round3_data`` and ``round3_chains``, run together as ``--kinds round3``; a fourth:
``round4``; a fifth, users' own tables: ``round5_data``); each case registers itself in
``CASES`` (name -> function).
"""
from . import (analysis, classification, custom, dtypes, formulas, models,  # each registers
               regression, round3_chains, round3_data, round4, round5_data,  # its cases
               symbolic, workflows)
from ._common import CASES

__all__ = ["CASES", "analysis", "classification", "custom", "dtypes", "formulas", "models",
           "regression", "round3_chains", "round3_data", "round4", "round5_data", "symbolic",
           "workflows"]
