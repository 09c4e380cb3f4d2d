"""The same ~115 small deterministic calls on pykan 0.2.8 or on kanlab.pykan: what each returns.

    PYTHONPATH=src python benchmarks/pykan_surface_calls.py kan /tmp/pk.json
    PYTHONPATH=src python benchmarks/pykan_surface_calls.py kanlab.pykan /tmp/kl.json
    python benchmarks/pykan_surface_calls.py --compare /tmp/pk.json /tmp/kl.json

Each call (``KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)``, a 40-sample dataset,
``fit(dataset, 'LBFGS', 3)``, ``suggest_symbolic(0, 0, 0)``, every member of the model, the
layers, ``utils``, ``spline``, ``hypothesis`` and ``MLP``) is described by its type and shapes
(``tuple[Tensor(7, 1):float32, ...]``) or its error; ``--compare`` prints the calls whose
descriptions differ.  Runs in a temporary directory (pykan writes ./model, ./figures).  The
part of pykan's surface audit (benchmarks/pykan_surface_audit.py) that needs a call.
"""
import importlib
import json
import os
import sys
import tempfile

import matplotlib
import torch

matplotlib.use("Agg")


def compare(a_path, b_path):
    a, b = json.load(open(a_path)), json.load(open(b_path))
    differ = [k for k in a if a[k] != b.get(k)]
    for k in differ:
        print(f"## {k}\n  {a_path}: {a[k][:300]}\n  {b_path}: {b.get(k, '')[:300]}")
    print(f"{len(differ)} of {len(a)} calls differ")


if sys.argv[1] == "--compare":
    compare(sys.argv[2], sys.argv[3])
    sys.exit(0)
out_path = os.path.abspath(sys.argv[2])
os.chdir(tempfile.mkdtemp())
lib = sys.argv[1]
L = importlib.import_module(lib)
U = importlib.import_module(lib + ".utils")
S = importlib.import_module(lib + ".spline")
H = importlib.import_module(lib + ".hypothesis")
M = importlib.import_module(lib + ".MLP")


def desc(v, depth=0):
    if isinstance(v, torch.nn.Parameter): return f"Parameter{tuple(v.shape)}"
    if isinstance(v, torch.Tensor): return f"Tensor{tuple(v.shape)}:{str(v.dtype)[6:]}"
    if isinstance(v, (list, tuple)):
        if depth > 2: return f"{type(v).__name__}[{len(v)}]"
        return f"{type(v).__name__}[" + ", ".join(desc(x, depth + 1) for x in v[:6]) + ("…" if len(v) > 6 else "") + "]"
    if isinstance(v, dict):
        return "dict{" + ", ".join(f"{k}: {desc(x, depth + 1)}" for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(v, torch.nn.Module): return "model" if hasattr(v, "act_fun") else type(v).__name__
    if v is None: return "None"
    import numpy as np
    if isinstance(v, np.ndarray): return f"ndarray{v.shape}"
    return type(v).__name__

torch.manual_seed(0)
f = lambda x: torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2
st = {}
def ds(): return U.create_dataset(f, 2, train_num=40, test_num=40, seed=0)
def model(): return L.KAN(width=[2, 3, 1], grid=3, seed=0, auto_save=False)
def trained():
    if "m" not in st:
        m = model(); m.fit(ds(), 'LBFGS', 3, update_grid=False); st["m"] = m
    return st["m"]
def cp():
    m = trained().copy(); m(ds()['train_input']); return m
steps = {
 "attr width..": lambda: (lambda m: (m.width, m.width_in, m.width_out, m.n_sum, m.n_mult, m.grid, m.k, m.mult_arity, m.depth))(model()),
 "attr flags": lambda: (lambda m: (m.symbolic_enabled, m.save_act, m.round, m.state_id, m.auto_save, m.ckpt_path))(model()),
 "attr cache_data": lambda: model().cache_data,
 "attr acts": lambda: model().acts,
 "attr base_fun": lambda: model().base_fun,
 "attr device": lambda: model().device,
 "attr input_id": lambda: model().input_id,
 "attr node_bias": lambda: model().node_bias,
 "attr node_scale": lambda: model().node_scale,
 "attr subnode_bias": lambda: model().subnode_bias,
 "attr subnode_scale": lambda: model().subnode_scale,
 "attr affine_trainable": lambda: model().affine_trainable,
 "attr mult_homo": lambda: model().mult_homo,
 "fix_symbolic returns": lambda: cp().fix_symbolic(0, 0, 0, 'sin', verbose=False, log_history=False),

 "create_dataset(f,2)": lambda: U.create_dataset(f, 2, train_num=10, test_num=5),
 "create_dataset_from_data": lambda: U.create_dataset_from_data(torch.rand(10, 2), torch.rand(10, 1)),
 "KAN([2,5,1],3,3)": lambda: (lambda m: (m.grid, m.k, m.width, m.depth))(L.KAN([2, 5, 1], 3, 3, auto_save=False)),
 "model attrs": lambda: (lambda m: (m.width, m.width_in, m.width_out, m.n_sum, m.n_mult, m.grid, m.k, m.mult_arity, m.depth, m.symbolic_enabled, m.save_act, m.round, m.state_id, m.auto_save, m.ckpt_path, m.cache_data, m.acts))(model()),
 "model(x)": lambda: model()(torch.rand(7, 2)),
 "after forward attrs": lambda: (lambda m: (m(torch.rand(7, 2)), m.acts, m.spline_preacts, m.spline_postacts, m.spline_postsplines, m.acts_scale, m.cache_data, m.edge_actscale, m.subnode_actscale))(model()),
 "fit(ds,'LBFGS',3)": lambda: model().fit(ds(), 'LBFGS', 3),
 "fit Adam": lambda: model().fit(ds(), opt='Adam', steps=3, lr=0.01, update_grid=False),
 "fit metrics": lambda: model().fit(ds(), steps=2, metrics=(lambda: torch.tensor(1.0),), display_metrics=['train_loss'], update_grid=False),
 "evaluate": lambda: trained().evaluate(ds()),
 "n_edge": lambda: trained().n_edge,
 "feature_score": lambda: trained().feature_score,
 "attribute()": lambda: trained().attribute(),
 "attribute(1)": lambda: trained().attribute(1, plot=False),
 "attribute(1,0)": lambda: trained().attribute(1, 0, plot=False),
 "node_attribute": lambda: (lambda m: (m.node_attribute(), m.node_attribute_scores))(cp()),
 "scores after attribute": lambda: (lambda m: (m.attribute(), m.node_scores, m.edge_scores, m.subnode_scores))(cp()),
 "suggest_symbolic(0,0,0)": lambda: trained().suggest_symbolic(0, 0, 0, verbose=False),
 "fix_symbolic(0,0,0,'sin')": lambda: cp().fix_symbolic(0, 0, 0, 'sin', verbose=False),
 "fix_symbolic no fit": lambda: cp().fix_symbolic(0, 0, 0, 'x', fit_params_bool=False),
 "unfix_symbolic": lambda: (lambda m: (m.fix_symbolic(0, 0, 0, 'x', fit_params_bool=False), m.unfix_symbolic(0, 0, 0)))(cp()),
 "unfix_symbolic_all": lambda: cp().unfix_symbolic_all(),
 "set_mode": lambda: cp().set_mode(0, 0, 0, 's'),
 "auto_symbolic": lambda: cp().auto_symbolic(verbose=0),
 "symbolic_formula": lambda: (lambda m: (m.auto_symbolic(verbose=0), m.symbolic_formula()))(cp()),
 "symbolic_formula var": lambda: (lambda m: (m.auto_symbolic(verbose=0), m.symbolic_formula(var=['a', 'b'])))(cp()),
 "prune()": lambda: trained().prune(),
 "prune_node": lambda: cp().prune_node(),
 "prune_edge": lambda: cp().prune_edge(),
 "prune_input": lambda: cp().prune_input(),
 "remove_edge": lambda: cp().remove_edge(0, 0, 0),
 "remove_node": lambda: cp().remove_node(1, 0),
 "refine(5)": lambda: (lambda m: (m, m.grid))(trained().refine(5)),
 "copy": lambda: cp(),
 "get_act": lambda: cp().get_act(ds()),
 "get_fun": lambda: trained().get_fun(0, 0, 0),
 "get_range": lambda: trained().get_range(0, 0, 0, verbose=False),
 "update_grid(x)": lambda: cp().update_grid(ds()['train_input']),
 "update_grid_from_samples": lambda: cp().update_grid_from_samples(ds()['train_input']),
 "initialize_grid_from_another_model": lambda: model().initialize_grid_from_another_model(trained(), ds()['train_input']),
 "initialize_from_another_model": lambda: model().initialize_from_another_model(trained(), ds()['train_input']),
 "reg": lambda: (lambda m: (m(ds()['train_input']), m.reg('edge_forward_spline_n', 1., 2., 0., 0.)))(model()),
 "get_reg": lambda: (lambda m: (m(ds()['train_input']), m.get_reg('edge_forward_spline_n', 1., 2., 0., 0.)))(model()),
 "get_params": lambda: list(trained().get_params()),
 "disable_symbolic_in_fit": lambda: model().disable_symbolic_in_fit(0.),
 "expand_depth": lambda: cp().expand_depth(),
 "expand_width": lambda: cp().expand_width(1, 1),
 "perturb": lambda: cp().perturb(),
 "swap": lambda: cp().swap(1, 0, 1),
 "auto_swap": lambda: cp().auto_swap(),
 "auto_swap_l": lambda: cp().auto_swap_l(1),
 "connection_cost": lambda: trained().connection_cost,
 "speed": lambda: cp().speed(),
 "tree": lambda: trained().tree(ds()['train_input']),
 "feature_interaction": lambda: trained().feature_interaction(1),
 "plot": lambda: trained().plot(),
 "history": lambda: trained().history(),
 "log_history": lambda: cp().log_history('x'),
 "saveckpt/loadckpt": lambda: (trained().saveckpt('./mm'), L.KAN.loadckpt('./mm'))[1],
 "to('cpu')": lambda: model().to('cpu'),
 "act_fun[0]": lambda: (lambda l: (l, l.grid, l.coef, l.scale_base, l.scale_sp, l.mask, l.in_dim, l.out_dim, l.num, l.k))(trained().act_fun[0]),
 "symbolic_fun[0]": lambda: (lambda l: (l, l.funs_name, l.mask, l.affine, l.in_dim, l.out_dim))(trained().symbolic_fun[0]),
 "KANLayer(2,3,5,3)": lambda: L.KANLayer(2, 3, 5, 3)(torch.rand(4, 2)),
 "KANLayer attrs": lambda: (lambda l: (l.grid, l.coef, l.scale_base, l.scale_sp, l.mask, l.num, l.k, l.base_fun, l.grid_eps))(L.KANLayer(2, 3, 5, 3)),
 "KANLayer.get_subset": lambda: L.KANLayer(2, 3, 5, 3).get_subset([0], [0, 1]),
 "KANLayer.update_grid_from_samples": lambda: L.KANLayer(2, 3, 5, 3).update_grid_from_samples(torch.rand(20, 2)),
 "KANLayer.initialize_grid_from_parent": lambda: L.KANLayer(2, 3, 10, 3).initialize_grid_from_parent(L.KANLayer(2, 3, 5, 3), torch.rand(20, 2)),
 "KANLayer.swap": lambda: L.KANLayer(2, 3, 5, 3).swap(0, 1),
 "Symbolic_KANLayer(2,3)": lambda: L.Symbolic_KANLayer(2, 3)(torch.rand(4, 2)),
 "Symbolic_KANLayer.fix_symbolic": lambda: L.Symbolic_KANLayer(2, 3).fix_symbolic(0, 0, 'sin', torch.linspace(-1, 1, 20), torch.sin(torch.linspace(-1, 1, 20)), verbose=False),
 "Symbolic_KANLayer.fix_symbolic no data": lambda: L.Symbolic_KANLayer(2, 3).fix_symbolic(0, 0, 'sin'),
 "Symbolic_KANLayer.get_subset": lambda: L.Symbolic_KANLayer(2, 3).get_subset([0], [0, 1]),
 "Symbolic_KANLayer attrs": lambda: (lambda l: (l.funs, l.funs_avoid_singularity, l.funs_sympy, l.funs_name, l.affine, l.mask))(L.Symbolic_KANLayer(2, 3)),
 "B_batch": lambda: S.B_batch(torch.rand(5, 2), torch.linspace(-1, 1, 7)[None, :].expand(2, 7), k=2),
 "extend_grid": lambda: S.extend_grid(torch.linspace(-1, 1, 7)[None, :].expand(2, 7), k_extend=3),
 "coef2curve": lambda: S.coef2curve(torch.rand(5, 2), S.extend_grid(torch.linspace(-1, 1, 7)[None, :].expand(2, 7), 3), torch.rand(2, 3, 9), 3),
 "curve2coef": lambda: S.curve2coef(torch.rand(50, 2), torch.rand(50, 2, 3), S.extend_grid(torch.linspace(-1, 1, 7)[None, :].expand(2, 7), 3), 3),
 "fit_params": lambda: U.fit_params(torch.linspace(-1, 1, 30), 2 * torch.sin(torch.linspace(-1, 1, 30)) + 1, torch.sin, verbose=False),
 "sparse_mask": lambda: U.sparse_mask(3, 4),
 "ex_round": lambda: U.ex_round(__import__('sympy').sympify('1.2345*x + 2.3456'), 2),
 "augment_input": lambda: U.augment_input(__import__('sympy').symbols('a b'), [__import__('sympy').symbols('a') * __import__('sympy').symbols('b')], ds()),
 "batch_jacobian": lambda: U.batch_jacobian(model(), torch.rand(6, 2)),
 "batch_hessian": lambda: U.batch_hessian(model(), torch.rand(6, 2)),
 "model2param": lambda: U.model2param(model()),
 "get_derivative jac": lambda: U.get_derivative(model(), torch.rand(6, 2), torch.rand(6, 1), derivative='jacobian'),
 "SYMBOLIC_LIB['sin']": lambda: U.SYMBOLIC_LIB['sin'],
 "add_symbolic": lambda: U.add_symbolic('cube2', lambda x: x ** 3, c=2),
 "test_symmetry": lambda: H.test_symmetry(trained(), ds()['train_input'], [0]),
 "test_separability": lambda: H.test_separability(trained(), ds()['train_input'], [[0], [1]]),
 "detect_separability": lambda: H.detect_separability(trained(), ds()['train_input']),
 "test_general_separability": lambda: H.test_general_separability(trained(), ds()['train_input'], [[0], [1]]),
 "get_molecule": lambda: H.get_molecule(trained(), ds()['train_input'], verbose=False),
 "MLP(width=[2,3,1])": lambda: M.MLP(width=[2, 3, 1])(torch.rand(4, 2)),
 "MLP fit": lambda: M.MLP(width=[2, 3, 1]).fit(ds(), 'LBFGS', 2),
 "MLP attrs": lambda: (lambda m: (m(torch.rand(4, 2)), m.width, m.depth, m.linears, m.act_fun, m.acts, m.w, m.save_act, m.layers))(M.MLP(width=[2, 3, 1])),
 "MLP.reg": lambda: (lambda m: (m(torch.rand(4, 2)), m.reg('w', 1., 2.)))(M.MLP(width=[2, 3, 1])),
 "MLP.get_reg": lambda: (lambda m: (m(torch.rand(4, 2)), m.get_reg('w', 1., 2.)))(M.MLP(width=[2, 3, 1])),
 "MLP.attribute": lambda: (lambda m: (m(torch.rand(4, 2)), m.attribute(), m.node_scores, m.edge_scores))(M.MLP(width=[2, 3, 1])),
 "MLP.get_act": lambda: (lambda m: m.get_act(torch.rand(4, 2)))(M.MLP(width=[2, 3, 1])),
 "MLP.plot": lambda: (lambda m: (m(torch.rand(4, 2)), m.plot()))(M.MLP(width=[2, 3, 1])),
 "MLP.tree": lambda: (lambda m: (m(torch.rand(4, 2)), m.tree(torch.rand(4, 2))))(M.MLP(width=[2, 3, 1])),
}
res = {}
for name, fn in steps.items():
    try:
        r = fn()
        res[name] = desc(r)
    except Exception as e:  # noqa: BLE001 - an error is a description too
        res[name] = f"ERROR {type(e).__name__}: {str(e)[:120]}"
json.dump(res, open(out_path, "w"), indent=0)
