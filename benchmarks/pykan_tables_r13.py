"""An ML engineer swaps an MLP for a KAN on every real table bundled in the venv.

Per table, preprocessing (``std``: inputs and regression targets standardised on the training
rows; ``raw``: raw units) and split (``rand``: a seeded shuffle; ``time``: rows in their order,
for ordered tables): 60 % train, 20 % validation, 20 % test.  Contestants:

* ``kan`` and ``kanlab.pykan``: pykan's workflow written once, ``K.KAN(width=[d, 5, out], grid=g,
  k=3, seed=s)``, ``model.fit(ds, opt="LBFGS", steps=20, lamb=l)`` (classification:
  ``loss_fn=CrossEntropyLoss()`` and the tutorial's ``train_acc``/``test_acc`` metrics); ``(g, l)``
  in {(3, 0), (5, 0), (5, 1e-3)} chosen on the validation rows, per library and seed;
* ``native``: ``kanlab.sklearn.KANRegressor`` / ``KANClassifier`` with defaults (its own choices
  on the training rows);
* ``mlp``: scikit-learn's ``MLPRegressor`` / ``MLPClassifier`` (max_iter 2000), hidden (16,) or
  (64,) chosen on the validation rows; in ``std`` behind a StandardScaler (and the target
  standardised), in ``raw`` on raw units.

Three model seeds; the test rows are scored once, with the chosen configuration.  Reports test
RMSE in the target's own units (regression) or accuracy (classification), medians over seeds.
Usage::

    OMP_NUM_THREADS=1 PYTHONPATH=src:. python benchmarks/pykan_tables_r13.py \\
        [--only diabetes,iris] [--jobs 2] [--json out.json]
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SEEDS = (0, 1, 2)
CONFIGS = [(3, 0.0), (5, 0.0), (5, 1e-3)]
HIDDEN = 5
STEPS = 20
MAX_ROWS = 500


# -- tables: name -> (kind, ordered, loader returning x, y) -------------------------------

def _sk(name, reg):
    def load():
        from sklearn import datasets
        x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        return x, y
    return ("reg" if reg else "clf"), False, load


def _sm(name, target, cols=None, kind="reg", ordered=False, transform=None):
    def load():
        import statsmodels.api as sm
        df = getattr(sm.datasets, name).load_pandas().data.dropna()
        if transform is not None:
            df = transform(df)
        xs = cols if cols is not None else [c for c in df.columns if c != target]
        return df[xs].to_numpy(float), df[target].to_numpy()
    return kind, ordered, load


def _lags(name, col, n_lags=3, every=1):
    def load():
        import statsmodels.api as sm
        s = getattr(sm.datasets, name).load_pandas().data[col].dropna().to_numpy(float)[::every]
        x = np.stack([s[i:len(s) - n_lags + i] for i in range(n_lags)], 1)
        return x, s[n_lags:]
    return "reg", True, load


def _star98(df):
    df = df.copy()
    df["frac"] = df["NABOVE"] / (df["NABOVE"] + df["NBELOW"])
    return df.drop(columns=["NABOVE", "NBELOW"])


def _fair_bin(df):
    df = df.copy()
    df["any"] = (df["affairs"] > 0).astype(int)
    return df.drop(columns=["affairs"])


TABLES = {
    "diabetes": _sk("diabetes", True),
    "linnerud": _sk("linnerud", True),
    "iris": _sk("iris", False),
    "wine": _sk("wine", False),
    "breast_cancer": _sk("breast_cancer", False),
    "digits": _sk("digits", False),
    "ccard": _sm("ccard", "AVGEXP"),
    "copper": _sm("copper", "WORLDCONSUMPTION", ordered=True),
    "engel": _sm("engel", "foodexp"),
    "longley": _sm("longley", "TOTEMP", ordered=True),
    "macrodata": _sm("macrodata", "unemp", ["realgdp", "realcons", "realinv", "realgovt",
                                            "realdpi", "cpi", "m1", "tbilrate"], ordered=True),
    "star98": _sm("star98", "frac", transform=_star98),
    "stackloss": _sm("stackloss", "STACKLOSS"),
    "statecrime": _sm("statecrime", "murder", ["hs_grad", "poverty", "single", "white", "urban"]),
    "strikes": _sm("strikes", "duration"),
    "randhie": _sm("randhie", "mdvis"),
    "fair": _sm("fair", "affairs"),
    "grunfeld": _sm("grunfeld", "invest", ["value", "capital"]),
    "scotland": _sm("scotland", "YES"),
    "cpunish": _sm("cpunish", "EXECUTIONS"),
    "committee": _sm("committee", "BILLS104"),
    "heart": _sm("heart", "survival", ["age"]),
    "cancer": _sm("cancer", "cancer"),
    "elnino": _sm("elnino", "DEC", ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
                                    "SEP", "OCT", "NOV"], ordered=True),
    "danish_data": _sm("danish_data", "lrm", ordered=True),
    "interest_inflation": _sm("interest_inflation", "R", ["Dp"], ordered=True),
    "sunspots": _lags("sunspots", "SUNACTIVITY"),
    "nile": _lags("nile", "volume"),
    "co2": _lags("co2", "co2", every=4),
    "spector": _sm("spector", "GRADE", kind="clf"),
    "anes96": _sm("anes96", "vote", kind="clf"),
    "fair_any": _sm("fair", "any", kind="clf", transform=_fair_bin),
}


# -- splits and preprocessing ------------------------------------------------------------

def splits(n, how, seed=0):
    idx = np.arange(n) if how == "time" else np.random.default_rng(seed).permutation(n)
    a, b = int(0.6 * n), int(0.8 * n)
    return idx[:a], idx[a:b], idx[b:]


def load_table(name):
    kind, ordered, load = TABLES[name]
    x, y = load()
    x = np.asarray(x, float)
    if kind == "clf":
        y = np.unique(np.asarray(y), return_inverse=True)[1].ravel()
    else:
        y = np.asarray(y, float)
        y = y[:, None] if y.ndim == 1 else y
    if len(x) > MAX_ROWS:  # pykan's full-batch fits stay small; the same rows for every model
        keep = np.sort(np.random.default_rng(0).choice(len(x), MAX_ROWS, replace=False))
        x, y = x[keep], y[keep]
    return kind, ordered, x, y


class Prep:
    """Train-row statistics: ``std`` standardises x (and a regression y); ``raw`` is identity."""

    def __init__(self, how, x, y, kind):
        self.on = how == "std"
        self.xm, self.xs = x.mean(0), x.std(0) + (x.std(0) == 0)
        self.reg = kind == "reg"
        if self.reg:
            self.ym, self.ys = y.mean(0), y.std(0) + (y.std(0) == 0)

    def x(self, x):
        return (x - self.xm) / self.xs if self.on else x

    def y(self, y):
        return (y - self.ym) / self.ys if self.on and self.reg else y

    def y_back(self, y):
        return y * self.ys + self.ym if self.on and self.reg else y


def score(kind, pred, y):
    if kind == "clf":
        return float(np.mean(pred == y))
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def better(kind, a, b):
    return a > b if kind == "clf" else a < b


# -- contestants ---------------------------------------------------------------------------

def pykan_style(lib, kind, prep, x, y, tr, va, te, seed):
    """pykan's workflow on library ``lib``; the configuration chosen on the validation rows."""
    import torch
    K = importlib.import_module(lib)
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    lab = (lambda a: torch.tensor(a, dtype=torch.long)) if kind == "clf" else \
        (lambda a: torch.tensor(prep.y(a), dtype=torch.float32))
    ds = {"train_input": f(prep.x(x[tr])), "train_label": lab(y[tr]),
          "test_input": f(prep.x(x[va])), "test_label": lab(y[va])}
    out = int(y.max()) + 1 if kind == "clf" else y.shape[1]
    best = None
    for grid, lamb in CONFIGS:
        torch.manual_seed(seed)
        model = K.KAN(width=[x.shape[1], HIDDEN, out], grid=grid, k=3, seed=seed,
                      auto_save=False)
        kw = {}
        if kind == "clf":
            def train_acc():
                return torch.mean((model(ds["train_input"]).argmax(1) == ds["train_label"]).float())

            def test_acc():
                return torch.mean((model(ds["test_input"]).argmax(1) == ds["test_label"]).float())
            kw = {"loss_fn": torch.nn.CrossEntropyLoss(), "metrics": (train_acc, test_acc)}
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(ds, opt="LBFGS", steps=STEPS, lamb=lamb, **kw)
            predict = _predictor(model, kind, prep)
            v = score(kind, predict(x[va]), y[va])
        except Exception as e:  # a failed fit is a result (recorded, never chosen)
            v, predict = float("nan"), None
            err = f"{type(e).__name__}: {e}"[:120]
        else:
            err = None
        if predict is not None and np.isfinite(v) and (best is None or better(kind, v, best[0])):
            best = (v, (grid, lamb), predict)
        elif best is None and err is not None:
            last_err = err
    if best is None:
        return {"test": float("nan"), "val": float("nan"), "cfg": None, "err": last_err}
    return {"test": score(kind, best[2](x[te]), y[te]), "val": best[0], "cfg": list(best[1])}


def _predictor(model, kind, prep):
    import torch

    def predict(xx):
        with torch.no_grad():
            o = model(torch.tensor(prep.x(xx), dtype=torch.float32)).double().numpy()
        if kind == "clf":
            return o.argmax(1)
        o = prep.y_back(o)
        if not np.all(np.isfinite(o)):
            o = np.where(np.isfinite(o), o, 1e300)
        return o
    return predict


def native(kind, prep, x, y, tr, va, te, seed):
    from kanlab.sklearn import KANClassifier, KANRegressor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "clf":
            m = KANClassifier(random_state=seed).fit(prep.x(x[tr]), y[tr])
            p = lambda xx: m.predict(prep.x(xx))  # noqa: E731
        else:
            m = KANRegressor(random_state=seed).fit(prep.x(x[tr]), prep.y(y[tr]))
            p = lambda xx: prep.y_back(m.predict(prep.x(xx)).reshape(len(xx), -1))  # noqa: E731
    return {"test": score(kind, p(x[te]), y[te]), "val": score(kind, p(x[va]), y[va])}


def mlp(kind, prep, x, y, tr, va, te, seed):
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    best = None
    for h in ((16,), (64,)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "clf":
                m = MLPClassifier(hidden_layer_sizes=h, max_iter=2000, random_state=seed)
                m.fit(prep.x(x[tr]), y[tr])
                p = (lambda m: lambda xx: m.predict(prep.x(xx)))(m)
            else:
                m = MLPRegressor(hidden_layer_sizes=h, max_iter=2000, random_state=seed)
                yt = prep.y(y[tr])
                m.fit(prep.x(x[tr]), yt[:, 0] if yt.shape[1] == 1 else yt)
                p = (lambda m: lambda xx: prep.y_back(m.predict(prep.x(xx)).reshape(len(xx), -1)))(m)
        v = score(kind, p(x[va]), y[va])
        if best is None or (np.isfinite(v) and better(kind, v, best[0])):
            best = (v, h[0], p)
    return {"test": score(kind, best[2](x[te]), y[te]), "val": best[0], "cfg": best[1]}


# -- runs ----------------------------------------------------------------------------------

def run_one(task):
    name, prep_how, split_how = task
    import torch
    torch.set_num_threads(1)
    kind, _, x, y = load_table(name)
    tr, va, te = splits(len(x), split_how)
    prep = Prep(prep_how, x[tr], y[tr], kind)
    res = {}
    for seed in SEEDS:
        res.setdefault("kan", []).append(pykan_style("kan", kind, prep, x, y, tr, va, te, seed))
        res.setdefault("kanlab.pykan", []).append(
            pykan_style("kanlab.pykan", kind, prep, x, y, tr, va, te, seed))
        res.setdefault("native", []).append(native(kind, prep, x, y, tr, va, te, seed))
        res.setdefault("mlp", []).append(mlp(kind, prep, x, y, tr, va, te, seed))
    return {"table": name, "prep": prep_how, "split": split_how, "kind": kind,
            "n": len(x), "d": x.shape[1], "runs": res}


def tasks(only=None):
    for name, (kind, ordered, _) in TABLES.items():
        if only and name not in only:
            continue
        for split_how in (("time", "rand") if ordered else ("rand",)):
            for prep_how in ("std", "raw"):
                yield name, prep_how, split_how


def med(runs):
    return float(np.nanmedian([r["test"] for r in runs]))


def table_md(results):
    lines = ["| table | kind | n×d | prep | split | pykan | kanlab.pykan | native | MLP | flags |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        m = {k: med(v) for k, v in r["runs"].items()}
        flags = []
        a, b = m["kan"], m["kanlab.pykan"]
        if r["kind"] == "clf":
            if b < a - 0.02:
                flags.append("kanlab.pykan<pykan")
            if m["native"] < m["mlp"] - 0.02:
                flags.append("native<MLP")
        else:
            if b > 1.2 * a or (np.isnan(b) and not np.isnan(a)):
                flags.append("kanlab.pykan>1.2×pykan")
            if m["native"] > 1.2 * m["mlp"]:
                flags.append("native>1.2×MLP")
        fmt = (lambda v: f"{v:.3f}") if r["kind"] == "clf" else (lambda v: f"{v:.4g}")
        lines.append(f"| {r['table']} | {r['kind']} | {r['n']}×{r['d']} | {r['prep']} | "
                     f"{r['split']} | " + " | ".join(fmt(m[k]) for k in
                                                     ("kan", "kanlab.pykan", "native", "mlp"))
                     + f" | {', '.join(flags)} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    only = set(args.only.split(",")) - {""}
    todo = list(tasks(only))
    if args.jobs > 1:
        import multiprocessing as mp
        with mp.get_context("spawn").Pool(args.jobs) as pool:
            results = []
            for r in pool.imap(run_one, todo):
                results.append(r)
                print(table_md([r]).splitlines()[-1], flush=True)
    else:
        results = []
        for t in todo:
            results.append(run_one(t))
            print(table_md([results[-1]]).splitlines()[-1], flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    print(table_md(results))


if __name__ == "__main__":
    main()
