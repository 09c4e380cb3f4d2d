"""A fifth round of public pykan code: users' own tables, as they come — the noisy real data
sets that sklearn and statsmodels ship (no download), unnormalised inputs in the hundreds to
hundreds of thousands, targets in the thousands to millions, integer features and counts,
skewed targets, outliers, 16-21 rows, 20 columns — handed to ``KAN(...).fit`` with no
scaling, as a pykan user tries first.

Each case fits three seeds (the model's seed and the rows' shuffle) and returns every
seed's test RMSE and their median: one seed of a short fit is a lottery.  ``--kinds
round5_data`` runs them (``--kinds round5``: with round5_models and round5_loops)."""

import numpy as np
import torch

from ._common import case

SEEDS = (0, 1, 2)


def _split(x, y, n_test, seed):
    """A shuffled train/test split of numpy ``x`` ``(N, d)``, ``y`` ``(N,)`` or ``(N, m)``
    into pykan's dataset dict (float32, labels as columns)."""
    idx = np.random.default_rng(seed).permutation(len(x))
    te, tr = idx[:n_test], idx[n_test:]
    t = lambda v: torch.tensor(np.asarray(v, dtype=np.float64), dtype=torch.float32)  # noqa: E731
    y = np.asarray(y, dtype=np.float64)
    y = y[:, None] if y.ndim == 1 else y
    return {"train_input": t(x[tr]), "train_label": t(y[tr]),
            "test_input": t(x[te]), "test_label": t(y[te])}


def _over_seeds(K, x, y, n_test, width, steps=20, grid=5, **fit):
    """Each seed's (train, test) RMSE of ``KAN(width, grid)`` fitted ``steps`` L-BFGS steps
    on a fresh split; the medians, and the test RMSE over the labels' std."""
    train, test = [], []
    for s in SEEDS:
        ds = _split(x, y, n_test, s)
        model = K.KAN(width=width, grid=grid, k=3, seed=s, auto_save=False)
        r = model.fit(ds, opt="LBFGS", steps=steps, **fit)
        train.append(float(r["train_loss"][-1]))
        test.append(float(r["test_loss"][-1]))
    return {"test_median": float(np.median(test)), "train_median": float(np.median(train)),
            "test": test, "rel_test_median": float(np.median(test) / np.std(y))}


def _sm(name):
    import statsmodels.api as sm
    return getattr(sm.datasets, name).load_pandas().data


@case
def longley_raw_sixteen_rows(K):
    # statsmodels' Longley: 16 years, six raw columns (GNP 2.3e5-5.5e5, population ~1.2e5,
    # the year 1947-1962), total employment ~6.5e4 as the target; 12 rows to fit
    d = _sm("longley")
    x = d[["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]].to_numpy()
    return _over_seeds(K, x, d["TOTEMP"].to_numpy(), 4, [6, 2, 1])


@case
def diabetes_unscaled_integer_sex(K):
    # sklearn's diabetes as measured (scaled=False): age in years, sex coded 1/2, blood
    # serum values in the hundreds; disease progression 25-346
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True, scaled=False)
    return _over_seeds(K, x, y, 110, [10, 3, 1])


@case
def linnerud_three_outputs_twenty_rows(K):
    # sklearn's Linnerud: 20 men, exercise counts (chin-ups, sit-ups up to 250, jumps up to
    # 250) -> weight (lb), waist (in), pulse: three outputs on their own scales
    from sklearn.datasets import load_linnerud
    x, y = load_linnerud(return_X_y=True)
    return _over_seeds(K, x, y, 5, [3, 3, 3])


@case
def engel_skewed_income_food(K):
    # statsmodels' Engel: household income 377-4958 (right-skewed) -> food expenditure,
    # whose spread grows with income
    d = _sm("engel")
    return _over_seeds(K, d[["income"]].to_numpy(), d["foodexp"].to_numpy(), 60, [1, 3, 1])


@case
def star98_twenty_columns_counts(K):
    # statsmodels' star98: 303 school districts, 20 raw columns (percentages, salaries in
    # the tens of thousands, ratios), the count of pupils above the median maths score
    d = _sm("star98")
    x = d.drop(columns=["NABOVE", "NBELOW"]).to_numpy()
    return _over_seeds(K, x, d["NABOVE"].to_numpy(), 75, [20, 3, 1], steps=10)


@case
def stackloss_outliers_21_rows(K):
    # statsmodels' stack loss (Brownlee): 21 plant days, air flow 50-80, water temperature,
    # acid concentration 72-93; the classic outlier rows (1, 3, 4, 21) stay in
    d = _sm("stackloss")
    x = d[["AIRFLOW", "WATERTEMP", "ACIDCONC"]].to_numpy()
    return _over_seeds(K, x, d["STACKLOSS"].to_numpy(), 5, [3, 2, 1])


@case
def macrodata_gdp_in_millions(K):
    # statsmodels' US macro data: quarterly real GDP in millions of dollars (2.7e6-1.3e7)
    # from consumption, investment and government spending (billions) and unemployment
    d = _sm("macrodata")
    x = d[["realcons", "realinv", "realgovt", "unemp"]].to_numpy()
    return _over_seeds(K, x, d["realgdp"].to_numpy() * 1e3, 50, [4, 3, 1])


@case
def grunfeld_heavy_tailed_investment(K):
    # statsmodels' Grunfeld: 220 firm-years, market value 30-6242 and capital 0.8-2226
    # -> gross investment 0.9-1487 (a few firms dwarf the rest)
    d = _sm("grunfeld")
    x = d[["value", "capital"]].to_numpy()
    return _over_seeds(K, x, d["invest"].to_numpy(), 55, [2, 4, 1])
