"""The symbolic stage of ``kanlab train``: edges to formulas, constants trained, formula checked.

Kept apart from :mod:`kanlab.cli._train_job` so the job reads as a list of
stages; sympy is imported here, only when the stage runs.
"""
from __future__ import annotations

import copy

from kanlab.train._fit import rmse

__all__ = ["symbolic_stage"]


def _formula_rmse(expr, symbols, x, y) -> float:
    from kanlab.symbolic._formula import formula_rmse
    return formula_rmse(expr, symbols, x.detach().cpu().double().numpy(),
                        y.detach().cpu().double().numpy())


def _attempt(model, cfg, fit_constants, steps: int, symbols, outer_linear: bool):
    """Make ``model`` symbolic and train its constants; returns ``(history, records, formulas)``.

    With ``outer_linear`` the last layer's edges are first fixed to ``x`` and
    the remaining splines retrained under them: a sum of terms then shows
    its terms on the inner edges instead of a composition ``g(h(x))`` whose
    parts are no library functions.  When an edge stays a spline there is no
    formula whatever the constants, and none are trained: ``(None, records,
    None)`` (training them cost a run without a formula about 4 s of CPU, for a
    model the stage then discards).
    """
    history, fixed = None, []
    if outer_linear:
        last = model.depth - 1
        layer = model.layers[last]
        for j in range(layer.out_features):
            for i in range(layer.in_features):
                if layer.mask[j, i] != 0:
                    fit = model.fix_symbolic(last, i, j, "x")
                    fixed.append({"l": last, "i": i, "j": j, "name": "x", "r2": fit.r2,
                                  "params": tuple(fit.params), "fixed_first": True})
        history = fit_constants(model, steps)
        if history.status == "interrupted":
            return history, fixed, None
    records = fixed + model.auto_symbolic(r2_threshold=cfg.r2_threshold)
    if any(bool((layer.mask != 0).any()) for layer in model.layers):  # a spline edge is left
        return None, records, None
    history = fit_constants(model, steps)
    try:
        formulas = model.symbolic_formula([symbols[i] for i in model.input_ids])
    except ValueError:  # some edges stayed splines
        formulas = None
    return history, records, formulas


def _finished(history) -> bool:
    """Whether the stage goes on: the constants' fit was not interrupted (or did not run)."""
    return history is None or history.status != "interrupted"


def symbolic_stage(model, cfg, dataset, state, log, var_names, fit_constants, labels=None):
    """Fix the edges, train the constants, read off and round the formula.

    Returns ``(model, history)``: the symbolic model, or the spline model it
    started from when that predicts the test set better or no formula came out
    (``history`` is None when no constants were trained, see :func:`_attempt`).
    The formula and its test RMSE go into ``state["symbolic"]`` (and so into metrics.json).
    When the first attempt gives no formula as accurate as the splines (within
    10x) and the network has several layers, a second attempt fixes the last
    layer to linear edges first (see :func:`_attempt`); the better one is kept.
    ``labels``, ``(LabelScale, test labels)``: ``dataset``'s labels are rescaled
    (:mod:`kanlab.train._label_scale`); the formula is rounded in the fitted units, then
    mapped to these labels' units and checked against them.
    """
    import sympy
    from kanlab.symbolic._formula import round_formula, to_latex
    x_test, y_test = dataset["test_input"], dataset["test_label"]
    spline_model, spline_rmse = copy.deepcopy(model), rmse(model, x_test, y_test)
    symbols = [sympy.Symbol(v) for v in var_names]
    steps = cfg.steps - state["steps_done"]
    if state["steps_done"] == 0:  # not a resumed stage: the edges are still splines
        history, records, raw = _attempt(model, cfg, fit_constants, steps, symbols, False)
        good = raw is not None and rmse(model, x_test, y_test) <= 10 * spline_rmse
        if not good and model.depth > 1 and _finished(history):
            second = copy.deepcopy(spline_model)
            result = _attempt(second, cfg, fit_constants, steps, symbols, True)
            if not _finished(result[0]):  # stopped in the retry: the stage starts over
                return second, result[0]
            if result[2] is not None and (raw is None or rmse(second, x_test, y_test)
                                          < rmse(model, x_test, y_test)):
                model, (history, records, raw) = second, result
                log("symbolic: fixing the last layer to linear edges first gave the better formula")
        state["symbolic_edges"] = records
        for r in records:
            log(f"edge ({r['l']},{r['i']},{r['j']}): "
                + ("x        (fixed linear first)" if r.get("fixed_first") else
                   f"{r['name']:<8} R² = {r['r2']:.8f}" if r["name"] else
                   f"kept as a spline (best R² {r['r2']:.6f} < {cfg.r2_threshold})"))
    else:
        history = fit_constants(model, steps)
        try:
            raw = model.symbolic_formula([symbols[i] for i in model.input_ids])
        except ValueError:
            raw = None
    if not _finished(history):
        return model, history
    if raw is None:
        log("no closed-form formula: some edges fit no library function (R² < "
            f"{cfg.r2_threshold}); they stay splines")
        state["symbolic"] = {"formula": None}
        return spline_model, history
    rounded = [round_formula(e, digits=cfg.digits) for e in raw]
    if labels is not None:  # rounded in the fitted units, where constants are of order one
        raw = [labels[0].formula(e, o) for o, e in enumerate(raw)]
        rounded = [labels[0].formula(e, o) for o, e in enumerate(rounded)]
        y_test = labels[1]
    outputs = range(len(rounded))
    errors = [_formula_rmse(rounded[o], symbols, x_test, y_test[:, [o]].squeeze(1)) for o in outputs]
    raw_rmse = [_formula_rmse(raw[o], symbols, x_test, y_test[:, [o]].squeeze(1)) for o in outputs]
    one = len(rounded) == 1
    state["symbolic"] = {
        "formula": str(rounded[0]) if one else [str(e) for e in rounded],
        "formula_latex": to_latex(rounded[0]) if one else [to_latex(e) for e in rounded],
        "formula_test_rmse": errors[0] if one else errors,
        "formula_unrounded": str(raw[0]) if one else [str(e) for e in raw],
        "formula_unrounded_test_rmse": raw_rmse[0] if one else raw_rmse,
        "symbolic_edges": state.get("symbolic_edges", []),
    }
    for o, (expr, err) in enumerate(zip(rounded, errors)):
        log(f"formula{'' if one else f' {o}'}: {expr}   (test RMSE {err:.3e})")
    symbolic_rmse = rmse(model, x_test, dataset["test_label"])
    if not symbolic_rmse <= spline_rmse:
        unit = labels[0].unit if labels is not None else 1.0  # RMSEs in the labels' units
        log(f"the spline model predicts better (test RMSE {unit * spline_rmse:.3e} against "
            f"{unit * symbolic_rmse:.3e}); it is the one saved")
        return spline_model, history
    return model, history
