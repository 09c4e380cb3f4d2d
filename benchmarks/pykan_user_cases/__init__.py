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
``round4_fit`` and ``round4_edit``, run together as ``--kinds round4``; a fifth:
``round5_models``, ``round5_loops`` and ``round5_data`` (users' own tables), run together as
``--kinds round5``; a sixth: ``round6_edges`` and ``round6_tools``, run together as
``--kinds round6``; a seventh: ``round7_state`` and ``round7_api``, run together as
``--kinds round7``; an eighth: ``round8_torch`` and ``round8_api``, run together as
``--kinds round8``; a ninth, scientists' code: ``round9a_sym`` (symbolic-regression pipelines),
``round9a_phys`` (PINNs, dynamics, physical units) and ``round9a_more`` (plots, formulas'
variables and derivatives, hand-set affines), run together as ``--kinds round9a``, and ML
engineers' code: ``round9b_nets`` (a KAN as one layer of CNN, transformer, LSTM, autoencoder
nets; ``half()``; ``KANLayer`` stacks), ``round9b_loops`` (DataLoader loops, early stopping,
sweeps with ``auto_save``, pickle, sklearn pipelines), ``round9b_state`` (per-layer optimiser
groups, EMA copies, checkpointing) and ``round9b_deploy`` (pykan checkpoints of outer nets,
pruned submodules, torch.func ensembles), run together as ``--kinds round9b``); a tenth,
courses', blog posts' and papers' code: ``round10a_course`` (the tutorial chain, dataset
options, loss plots, per-edge loops, sweeps), ``round10a_sym`` (sympy post-processing of
formulas) and ``round10a_data`` (files, tables, windows, metrics), run together as ``--kinds
round10a``, and research code built on pykan's internals: ``round10b_layers`` (networks of
``KANLayer``, ``kan.spline`` helpers on a layer's own state), ``round10b_model`` (a model's
forward caches, masks, regularisers and per-edge edits) and ``round10b_views`` (a model's
``act_fun[l]`` used as a layer of its own), run together as ``--kinds round10b``;
and an eleventh: an ML engineer's tables (``round11a_tables``: sklearn's and statsmodels'
bundled data, k-fold copies, early stopping; ``round11a_columns``: robust losses, raw units,
constant, coded and heavy-tailed columns, label shapes) and a
scientist's measurements (``round11a_lab``: files, raw physical units, window regressors,
formulas named by columns), run together as ``--kinds round11a``, and the API combined in
orders the tutorials do not use: ``round11b_sym`` (multiplication nodes, one's own symbolic
functions and singularity-avoiding forms, formulas), ``round11b_struct`` (structure and grid
edits chained, checkpoints, plots) and ``round11b_utils`` (``kan.utils`` helpers beside a
model), run together as ``--kinds round11b``; each case registers itself in ``CASES`` (name ->
function); a twelfth: physics-informed code (``round12b_phys``: PINN residuals through
``autograd.grad``, pykan's ``LBFGS`` with a closure, ``torch.func`` transforms,
``batch_hessian`` losses) and a KAN inside bigger models with dtype hygiene (``round12b_nets``),
run together as ``--kinds round12b``; a thirteenth: whole third-party scripts' essence
(``round13w_loops``: training loops around a KAN, early stopping on ``state_dict``, AdamW,
weighted cross-entropy folds, float64 numpy data; ``round13w_struct``: one's own symbolic
functions, ``edge_scores`` after ``auto_symbolic``, a ``refine`` ladder decided by
``node_scores``, ``r2_threshold`` sweeps, a patched ``kan.torch.load``), run together as
``--kinds round13w``.
"""
from . import (analysis, classification, custom, dtypes, formulas, models, regression,  # each registers
               round3_chains, round3_data, round4_edit, round4_fit, round5_data, round5_loops,
               round5_models, round6_edges, round6_tools, round7_api, round7_state,
               round8_api, round8_torch, round9a_more, round9a_phys, round9a_sym,  # its
               round9b_deploy, round9b_loops, round9b_nets, round9b_state,  # cases
               round10a_course, round10a_data, round10a_sym, round10b_layers, round10b_model,
               round10b_views, round11a_columns, round11a_lab, round11a_tables, round11b_struct,
               round11b_sym, round11b_utils, round12b_nets, round12b_phys, round13w_loops,
               round13w_struct, symbolic, workflows)
from ._common import CASES

__all__ = ["CASES", "analysis", "classification", "custom", "dtypes", "formulas", "models",
           "regression", "round3_chains", "round3_data", "round4_edit", "round4_fit",
           "round5_data", "round5_loops", "round5_models", "round6_edges", "round6_tools",
           "round7_api", "round7_state", "round8_api", "round8_torch", "round9a_more",
           "round9a_phys", "round9a_sym", "round9b_deploy", "round9b_loops", "round9b_nets",
           "round9b_state", "round10a_course", "round10a_data", "round10a_sym",
           "round10b_layers", "round10b_model", "round10b_views", "round11a_columns", "round11a_lab",
           "round11a_tables", "round11b_struct", "round11b_sym", "round11b_utils", "round12b_nets",
           "round12b_phys", "round13w_loops", "round13w_struct", "symbolic",
           "workflows"]
