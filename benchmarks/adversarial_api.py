"""Adversarial cases: the Python API (KAN, fit, refine, prune, symbolic, estimators)."""
from __future__ import annotations

import warnings
from pathlib import Path

from adversarial_cases import add, case, clean_error, finite, must_raise, small_data, small_model


def _kan(**kwargs):
    def fn(tmp):
        import kanlab
        import torch

        def build():
            m = kanlab.KAN(**({"width": [2, 3, 1]} | kwargs))
            y = m(torch.rand(4, m.width[0], dtype=m.dtype))
            assert finite(y), f"KAN({kwargs}) builds and returns non-finite outputs"
            return "built"
        return clean_error(build)
    return fn


for kwargs in [{"grid": 0}, {"grid": -1}, {"grid": 1.5}, {"grid": True}, {"grid": "5"},
               {"grid": 10 ** 12}, {"k": 11}, {"k": -1}, {"width": [2]}, {"width": []},
               {"width": [2, 0, 1]}, {"width": "2,3,1"}, {"width": None},
               {"width": [2, 10 ** 12, 1]}, {"grid_range": (1, 1)}, {"grid_range": (2, 1)},
               {"grid_range": (float("nan"), 1)}, {"grid_range": (-1e308, 1e308)},
               {"grid_range": (0, 1e-320)}, {"grid_range": "ab"}, {"grid_range": (0, 1, 2)},
               {"grid_eps": float("nan")}, {"base_fun": "nope"}, {"base_fun": None},
               {"base_fun": 3}, {"mult_arity": 10 ** 9, "width": [2, [0, 2], 1]},
               {"input_ids": [0, 0]}, {"input_ids": [5, 6]}, {"input_ids": ["a", "b"]},
               {"basis": "nope"}, {"device": "cuda"}, {"device": "nope"}, {"seed": 1.5},
               {"seed": "1"}, {"noise_scale": 1e308}, {"grid": 3, "k": 10},
               {"sb_trainable": "no"}]:
    add("api", f"KAN({', '.join(f'{k}={v!r}'[:30] for k, v in kwargs.items())})", _kan(**kwargs))


def _forward(make_x, model_dtype=None):
    def fn(tmp):
        import torch
        m = small_model(dtype=model_dtype)

        def call():
            y = m(make_x(torch))
            assert finite(y), "non-finite output"
            return list(y.shape)
        return clean_error(call)
    return fn


for name, make in [
    ("non-contiguous x.t()", lambda t: t.rand(2, 8, dtype=t.float64).t()),
    ("strided x[::3]", lambda t: t.rand(30, 2, dtype=t.float64)[::3]),
    ("expanded stride 0", lambda t: t.rand(1, 2, dtype=t.float64).expand(5, 2)),
    ("requires_grad", lambda t: t.rand(5, 2, dtype=t.float64, requires_grad=True)),
    ("float16 input", lambda t: t.rand(5, 2).half()),
    ("bfloat16 input", lambda t: t.rand(5, 2).bfloat16()),
    ("int input", lambda t: t.ones(5, 2, dtype=t.int64)),
    ("meta tensor", lambda t: t.empty(5, 2, dtype=t.float64, device="meta")),
    ("sparse tensor", lambda t: t.rand(5, 2, dtype=t.float64).to_sparse()),
    ("batch of 1, 3-D", lambda t: t.rand(1, 1, 2, dtype=t.float64)),
    ("(5, 0) input", lambda t: t.rand(5, 0, dtype=t.float64)),
    ("numpy array", lambda t: __import__("numpy").zeros((5, 2))),
    ("1e-300 inputs", lambda t: t.full((5, 2), 1e-300, dtype=t.float64)),
    ("subnormal inputs", lambda t: t.full((5, 2), 5e-324, dtype=t.float64)),
    ("-0.0 inputs", lambda t: t.full((5, 2), -0.0, dtype=t.float64)),
    ("complex input", lambda t: t.rand(5, 2, dtype=t.complex128)),
]:
    add("forward", name, _forward(make))


def _fit_with(data_change=None, **kwargs):
    def fn(tmp):
        m = small_model()
        data = small_data()
        if data_change is not None:
            data = data_change(data)

        def go():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                h = m.fit(data, **({"steps": 3, "progress": False} | kwargs))
            for p in m.parameters():
                assert finite(p.detach()), "non-finite parameters after fit"
            return h.status
        return clean_error(go)
    return fn


for kwargs in [{"steps": 0}, {"steps": -1}, {"steps": 2.5}, {"lr": float("nan")}, {"lr": -1},
               {"lamb": float("nan")}, {"lamb": -1}, {"opt": "SGD"}, {"opt": None},
               {"batch": 0}, {"batch": -1}, {"batch": 1}, {"batch": 10 ** 9}, {"batch": 1.5},
               {"grid_update_num": 0}, {"grid_update_num": 10 ** 9},
               {"history_size": 0}, {"eval_every": 0}, {"seed": 2 ** 70}, {"on_nonfinite": "x"},
               {"grid_max_change": float("nan")}, {"start_grid_update_step": 10 ** 18},
               {"stop_grid_update_step": -1}, {"loss_fn": "mse"}, {"lamb_entropy": float("inf")},
               {"steps": 10 ** 15, "opt": "Adam", "lr": float("nan")}]:
    add("fit", f"fit({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})", _fit_with(**kwargs))


def _scale(key, factor=1.0, offset=0.0):
    def change(d):
        d = dict(d)
        d[key] = d[key] * factor + offset
        if key.startswith("train"):
            d[key.replace("train", "test")] = d[key][: len(d[key]) // 2]
        return d
    return change


for name, change in [
    ("labels * 1e300", _scale("train_label", 1e300)),
    ("labels * 1e-300", _scale("train_label", 1e-300)),
    ("labels + 1e9", _scale("train_label", 1.0, 1e9)),
    ("inputs * 1e-300", _scale("train_input", 1e-300)),
    ("inputs + 1e9", _scale("train_input", 1.0, 1e9)),
    ("inputs * 1e300", _scale("train_input", 1e300)),
    ("constant feature", lambda d: d | {"train_input": d["train_input"] * __import__("torch").tensor([1.0, 0.0], dtype=d["train_input"].dtype)}),
    ("duplicated rows", lambda d: d | {"train_input": d["train_input"][:1].repeat(64, 1), "train_label": d["train_label"][:1].repeat(64, 1)}),
    ("one sample", lambda d: d | {"train_input": d["train_input"][:1], "train_label": d["train_label"][:1]}),
    ("labels 1-D", lambda d: d | {"train_label": d["train_label"][:, 0]}),
    ("non-contiguous inputs", lambda d: d | {"train_input": d["train_input"].t().contiguous().t()}),
    ("inputs requires_grad", lambda d: d | {"train_input": d["train_input"].clone().requires_grad_()}),
    ("float32 data, float64 model", lambda d: {k: v.float() for k, v in d.items()}),
    ("empty test split", lambda d: d | {"test_input": d["test_input"][:0], "test_label": d["test_label"][:0]}),
    ("labels int", lambda d: d | {"train_label": d["train_label"].long()}),
    ("extra key", lambda d: d | {"junk": 1}),
    ("dataset a list", lambda d: list(d.values())),
]:
    add("fit", f"fit on {name}", _fit_with(change))


def _method(call, expect_error=False):
    def fn(tmp):
        m = small_model()
        data = small_data()
        m.reference_input = data["train_input"]

        def go():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = call(m, data)
            y = m(data["train_input"])
            assert finite(y), "model returns non-finite values afterwards"
            return str(out)[:100]
        return (must_raise if expect_error else clean_error)(go)
    return fn


nan, inf = float("nan"), float("inf")
METHODS = [
    ("refine(0)", lambda m, d: m.refine(0), True), ("refine(-1)", lambda m, d: m.refine(-1), True),
    ("refine(1.5)", lambda m, d: m.refine(1.5), True), ("refine(True)", lambda m, d: m.refine(True), True),
    ("refine(10**9)", lambda m, d: m.refine(10 ** 9), True),
    ("refine(np.int64(7))", lambda m, d: m.refine(__import__("numpy").int64(7)), False),
    ("refine(same grid)", lambda m, d: m.refine(5), False),
    ("update_grid(grid_eps=nan)", lambda m, d: m.update_grid(d["train_input"], grid_eps=nan), True),
    ("update_grid(grid_eps=2)", lambda m, d: m.update_grid(d["train_input"], grid_eps=2), True),
    ("update_grid(1 row)", lambda m, d: m.update_grid(d["train_input"][:1]), False),
    ("update_grid(1e300 rows)", lambda m, d: m.update_grid(d["train_input"] * 1e300), False),
    ("update_grid(offset 1e9)", lambda m, d: m.update_grid(d["train_input"] + 1e9), False),
    ("prune(node_th=nan)", lambda m, d: m.prune(node_th=nan), True),
    ("prune(edge_th=-1)", lambda m, d: m.prune(edge_th=-1), False),
    ("prune(node_th=inf)", lambda m, d: m.prune(node_th=inf, edge_th=inf), False),
    ("prune(x=wrong shape)", lambda m, d: m.prune(x=d["train_input"][:, :1]), True),
    ("prune(x=empty)", lambda m, d: m.prune(x=d["train_input"][:0]), True),
    ("prune_input(nan)", lambda m, d: m.prune_input(nan), True),
    ("remove_edge(5, 0, 0)", lambda m, d: m.remove_edge(5, 0, 0), True),
    ("remove_node(0, -1)", lambda m, d: m.remove_node(0, -1), True),
    ("remove_node(1, 99)", lambda m, d: m.remove_node(1, 99), True),
    ("suggest_symbolic(topk=0)", lambda m, d: m.suggest_symbolic(0, 0, 0, topk=0), False),
    ("suggest_symbolic(topk=-1)", lambda m, d: m.suggest_symbolic(0, 0, 0, topk=-1), True),
    ("suggest_symbolic(topk=10**9)", lambda m, d: m.suggest_symbolic(0, 0, 0, topk=10 ** 9), False),
    ("suggest_symbolic(l=9)", lambda m, d: m.suggest_symbolic(9, 0, 0), True),
    ("suggest_symbolic(i=-1)", lambda m, d: m.suggest_symbolic(0, -1, 0), True),
    ("fix_symbolic('__import__')", lambda m, d: m.fix_symbolic(0, 0, 0, "__import__"), True),
    ("fix_symbolic('exp(10**1000)')", lambda m, d: m.fix_symbolic(0, 0, 0, "exp(10**1000)"), True),
    ("fix_symbolic(123)", lambda m, d: m.fix_symbolic(0, 0, 0, 123), True),
    ("fix_symbolic('x', params inf)", lambda m, d: m.fix_symbolic(0, 0, 0, "x", fit_params=False, params=(inf, 1, 1, 1)) if "params" in m.fix_symbolic.__code__.co_varnames else (_ for _ in ()).throw(ValueError("no params")), True),
    ("auto_symbolic(lib=[])", lambda m, d: m.auto_symbolic(lib=[]), True),
    ("auto_symbolic(lib=['nope'])", lambda m, d: m.auto_symbolic(lib=["nope"]), True),
    ("auto_symbolic(lib='sin')", lambda m, d: m.auto_symbolic(lib="sin"), False),
    ("auto_symbolic(lib=['x']*5000)", lambda m, d: m.auto_symbolic(lib=["x"] * 5000), False),
    ("auto_symbolic(r2_threshold=nan)", lambda m, d: m.auto_symbolic(r2_threshold=nan), True),
    ("auto_symbolic(x=nan)", lambda m, d: m.auto_symbolic(x=d["train_input"] * nan), True),
    ("symbolic_formula before symbolic", lambda m, d: m.symbolic_formula(), True),
    ("attribute(x=1 row)", lambda m, d: m.attribute(d["train_input"][:1]), False),
    ("feature_score", lambda m, d: m.feature_score(), False),
]
for name, call, expect in METHODS:
    add("method", name, _method(call, expect))


def _formula_names(names, expect_error=True):
    def fn(tmp):
        import kanlab
        import torch
        m = kanlab.KAN([2, 1], grid=3, seed=0, dtype=torch.float64)
        m.fix_symbolic(0, 0, 0, "sin", fit_params=False)
        m.fix_symbolic(0, 1, 0, "x", fit_params=False)
        return (must_raise if expect_error else clean_error)(
            lambda: str(m.symbolic_formula(var_names=names, check=False)))
    return fn


# names that sympy prints like its constants stay plain symbols (kanlab.discover's choice);
# keywords cannot be printed and parsed back
for names, bad in [(["lambda", "y"], True), (["pi", "y"], False), (["E", "y"], False),
                   (["I", "y"], False), (["sin", "y"], False), (["class", "y"], True), (["x" * 100000, "y"], False),
                   (["x", ""], True), (["oo", "y"], False), (["nan", "y"], False),
                   (["x_1", "x_2"], False), (["α", "β"], False), ([1, 2], True),
                   (["x", "y", "z"], True)]:
    add("security", f"symbolic_formula(var_names={str(names)[:30]})", _formula_names(names, bad))


@case("security", "round_formula of hostile strings")
def _round_strings(tmp):
    from kanlab.symbolic import round_formula
    for text in ["__import__('os').system('touch /tmp/adv_pwned')", "x.__class__",
                 "().__class__.__bases__[0]", "eval('1')", "exec('x=1')", "open('/etc/passwd')",
                 "Symbol('x')", "Lambda(x, x)", "x**2**2**2**2**2**2", "1e400*x", "x" + "+x" * 50000]:
        clean_error(lambda: round_formula(text))
    assert not Path("/tmp/adv_pwned").exists()
