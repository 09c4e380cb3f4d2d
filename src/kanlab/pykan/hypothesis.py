"""``kan.hypothesis``: tests of a function's structure from its derivatives.

``model`` is anything that maps a ``(B, n)`` tensor to ``(B, 1)``: a KAN, an MLP
or a plain Python function.  All tests look at the derivatives at the rows of
``x``, scaled by each input's standard deviation so that they do not depend on
the inputs' units, and take the median over rows:

* **separability** (``test_separability``, ``detect_separability``): ``f`` is a
  sum over groups of inputs (``mode="add"``) when its mixed second derivatives
  between groups vanish; a product (``mode="mul"``) when those of
  ``log|f + bias|`` vanish;
* **general separability** (``test_general_separability``): ``f = g(h_1, h_2, ...)``
  with each ``h_k`` a function of one group, when every ratio of two partial
  derivatives from different groups is multiplicatively separable;
* **symmetry** (``test_symmetry``): ``f`` depends on a group of inputs only
  through one combination of them, when the direction of the gradient within
  the group does not move as the other inputs change; ``test_symmetry_var``
  checks a named combination (a sympy expression) directly;
* ``get_tree_node`` names what joins each nested group (a sum, a product, general
  separability); ``plot_tree`` draws the nesting of such symmetric groups with those names.
"""
from __future__ import annotations

import torch

from kanlab.pykan.utils import batch_hessian, batch_jacobian

# no __all__: as with pykan's module, `import *` also brings torch and the jacobian helpers


def _scores(model, x, mode="add", bias=0.0) -> torch.Tensor:
    """``(n, n)``: median over rows of |∂²f/∂x_i∂x_j|·std_i·std_j (of log|f+bias| for "mul")."""
    if mode == "add":
        fn = model
    elif mode == "mul":
        def fn(z):
            return torch.log(torch.abs(model(z) + bias))
    else:
        raise ValueError(f"mode must be 'add' or 'mul', got {mode!r}")
    hess = batch_hessian(fn, x)
    std = x.std(dim=0)
    return (hess * std[None, :, None] * std[None, None, :]).abs().median(dim=0).values.detach()


def test_separability(model, x, groups, mode="add", threshold=1e-2, bias=0.0):
    """Whether ``f`` separates (sum or product) over ``groups``: a boolean tensor."""
    score = _scores(model, x, mode, bias)
    ok = torch.tensor(True, device=x.device)
    for a, ga in enumerate(groups):
        for gb in groups[a + 1:]:
            ok = ok & (score[list(ga)][:, list(gb)].max() < threshold)
    inside = sorted({i for g in groups for i in g})
    outside = [i for i in range(x.shape[1]) if i not in inside]
    if inside and outside:
        ok = ok & (score[inside][:, outside].max() < threshold)
    return ok


def detect_separability(model, x, mode="add", score_th=1e-2, res_th=1e-2, n_clusters=None,
                        bias=0.0, verbose=False) -> dict:
    """The finest grouping of the inputs over which ``f`` separates; prints whether it does.

    Returns ``{"hessian": scores, "n_groups", "labels", "groups"}``: inputs are linked when
    their score reaches ``score_th`` and the groups are the linked components.
    """
    score = _scores(model, x, mode, bias)
    n = x.shape[1]
    linked = (score >= score_th).cpu()
    labels = [-1] * n
    groups = []
    for i in range(n):
        if labels[i] >= 0:
            continue
        stack, members = [i], []
        labels[i] = len(groups)
        while stack:
            a = stack.pop()
            members.append(a)
            for b in range(n):
                if linked[a, b] and labels[b] < 0:
                    labels[b] = len(groups)
                    stack.append(b)
        groups.append(sorted(members))
    total = float(score.sum())
    inside = sum(float(score[g][:, g].sum()) for g in groups)
    residual = (total - inside) / total if total > 0 else 0.0
    if verbose:
        print(f"n_group={len(groups)}, residual_ratio={residual}")
    if residual >= res_th or (isinstance(n_clusters, int) and n_clusters != len(groups)):
        groups, labels = [list(range(n))], [0] * n
    print(f"{mode} separability {'detected' if len(groups) > 1 else 'not detected'}")
    return {"hessian": score, "n_groups": len(groups), "labels": labels, "groups": groups}


def test_general_separability(model, x, groups, threshold=1e-2):
    """Whether ``f = g(h_1(group_1), h_2(group_2), ...)``: a boolean tensor."""
    ok = torch.tensor(True, device=x.device)
    for a, ga in enumerate(groups):
        for gb in groups[a + 1:]:
            for i in ga:
                for j in gb:
                    def ratio(z, i=i, j=j):
                        g = batch_jacobian(model, z, create_graph=True)
                        return g[:, [j]] / g[:, [i]]
                    ok = ok & test_separability(ratio, x, groups, mode="mul", threshold=threshold)
    return ok


def batch_grad_normgrad(model, x, group, create_graph=False) -> torch.Tensor:
    """How the unit gradient direction within ``group`` moves with each input outside it:
    ``(B, len(group), n_rest)``, per sample."""
    rest = [i for i in range(x.shape[1]) if i not in group]

    def direction(z):
        g = batch_jacobian(model, z, create_graph=True)[:, group]
        return (g / (g.norm(dim=1, keepdim=True) + 1e-6)).sum(dim=0)
    jac = torch.autograd.functional.jacobian(direction, x, create_graph=create_graph)
    return jac.permute(1, 0, 2)[:, :, rest]


def get_dependence(model, x, group) -> torch.Tensor:
    """:func:`batch_grad_normgrad` scaled by the inputs' spreads, median over the batch:
    ``(len(group), n_rest)``; near 0 where ``f`` depends on ``group`` through one combination."""
    rest = [i for i in range(x.shape[1]) if i not in group]
    std = x.std(dim=0)
    dep = batch_grad_normgrad(model, x, group) * std[None, group, None] * std[None, None, rest]
    return dep.abs().median(dim=0).values


def test_symmetry(model, x, group, dependence_th=1e-3):
    """Whether ``f`` depends on the inputs ``group`` only through one combination of them."""
    group = [int(i) for i in group]
    if len(group) in (0, x.shape[1]):
        return True
    return get_dependence(model, x, group).max() < dependence_th


def test_symmetry_var(model, x, input_vars, symmetry_var):
    """Per row, ``|cos|`` of the angle between ``f``'s gradient and ``symmetry_var``'s over the
    symbols ``symmetry_var`` holds; prints the share of rows above 0.9 and whether it suggests
    the symmetry; returns the cosines, shape ``(N,)``, as pykan's."""
    from kanlab.pykan._symbolic import column_function
    fn = column_function(input_vars, symmetry_var, tensors=True)
    idx = [list(input_vars).index(s) for s in symmetry_var.free_symbols]

    def sym(z):
        out = fn(*[z[:, [i]] for i in range(len(input_vars))])
        return out if torch.is_tensor(out) else torch.full_like(z[:, :1], float(out))
    g_f = batch_jacobian(model, x)[:, idx]
    g_s = batch_jacobian(sym, x)[:, idx]
    cos = (g_f * g_s).sum(1).abs() / (g_f.norm(dim=1) * g_s.norm(dim=1))
    share = (cos > 0.9).float().mean()
    print(f"{100 * float(share)}% data have more than 0.9 cosine similarity")
    print("suggesting symmetry" if share > 0.9 else "not suggesting symmetry")
    return cos


def get_molecule(model, x, sym_th=1e-3, verbose=True):
    """Nested symmetric groups, from single inputs up: a list of levels, each a list of groups."""
    levels = [[[i] for i in range(x.shape[1])]]
    while len(levels[-1]) > 1:
        atoms, merged = list(levels[-1]), []
        while atoms:
            group = list(atoms.pop(0))
            for other in list(atoms):
                joined = group + other
                if len(joined) < x.shape[1] and bool(test_symmetry(model, x, joined, sym_th)):
                    group = joined
                    atoms.remove(other)
            merged.append(group)
        if verbose:
            print(merged)
        if len(merged) == len(levels[-1]):
            merged = [[i for g in merged for i in g]]
        levels.append(merged)
    return levels


def get_tree_node(model, x, moleculess, sep_th=1e-2, skip_test=True):
    """What joins each group of :func:`get_molecule`'s levels: ``(arities, properties)``,
    one list per level above the inputs.  A group's arity is how many groups of the level
    below it is made of; its property is ``'Id'`` (one), ``'GS'`` (``f`` generally separable
    over its parts), on the last level ``'Add'`` or ``'Mul'`` (``f`` a sum or product of its
    parts), else ``''``.  ``skip_test`` leaves every group of two or more parts ``''``."""
    arities, properties = [], []
    for l in range(len(moleculess) - 1):
        below = [list(m) for m in moleculess[l]]
        arity_l, property_l = [], []
        for molecule in moleculess[l + 1]:
            parts = _parts(list(molecule), below)
            arity_l.append(len(parts))
            property_l.append("Id" if len(parts) == 1 else
                              "" if skip_test else
                              _join(model, x, parts, sep_th, last=l == len(moleculess) - 2))
        arities.append(arity_l)
        properties.append(property_l)
    return arities, properties


def _parts(molecule: list, below: list) -> list:
    """``molecule`` cut, left to right, into groups of ``below`` (the shortest that match)."""
    parts, start = [], 0
    for end in range(1, len(molecule) + 1):
        if molecule[start:end] in below:
            parts.append(molecule[start:end])
            start = end
    return parts


def _join(model, x, parts, sep_th, last: bool) -> str:
    """The property of a group of ``parts`` (:func:`get_tree_node`), in pykan's order of
    precedence: on the last level a product, then a sum; then general separability."""
    if last and bool(test_separability(model, x, parts, mode="mul", threshold=sep_th)):
        return "Mul"
    if last and bool(test_separability(model, x, parts, mode="add", threshold=sep_th)):
        return "Add"
    return "GS" if bool(test_general_separability(model, x, parts, threshold=sep_th)) else ""


def plot_tree(model, x, in_var=None, style="tree", sym_th=1e-3, sep_th=1e-1,
              skip_sep_test=False, verbose=False):
    """Draw :func:`get_molecule`'s nesting on a new pyplot figure; returns ``None``, as pykan's
    (``plt.gcf()``).  ``style="tree"``: lines from each group's parts, red ``+`` / ``×`` over a
    sum or product, blue lines into a generally separable group, a box round a group that is
    neither; ``"box"``: a box per group with its property (:func:`get_tree_node`, tested at
    ``sep_th`` unless ``skip_sep_test``)."""
    import matplotlib.pyplot as plt
    if style not in ("tree", "box"):
        raise ValueError(f"style must be 'tree' or 'box', got {style!r}")
    levels = get_molecule(model, x, sym_th=sym_th, verbose=verbose)
    _, properties = get_tree_node(model, x, levels, sep_th=sep_th, skip_test=skip_sep_test)
    order = levels[-1][0]
    n = x.shape[1]
    names = [f"$x_{{{i + 1}}}$" for i in range(n)] if in_var is None else [
        f"${v}$" if not str(v).startswith("$") else str(v) for v in in_var]
    pos = {i: (order.index(i) + 0.5) / n for i in range(n)}
    fig, ax = plt.subplots(figsize=(max(4, n), 1.2 * len(levels)))
    centre = {}

    def box(xs, depth, half):  # round the inputs at xs, at height depth ± half
        ax.add_patch(plt.Rectangle((min(xs) - 0.4 / n, depth - half),
                                   max(xs) - min(xs) + 0.8 / n, 2 * half, fill=False))

    for depth, groups in enumerate(levels):
        for index, g in enumerate(groups):
            xs = [pos[i] for i in g]
            c = sum(xs) / len(xs)
            prop = properties[depth - 1][index] if depth else "Id"
            if style == "box" and depth:
                box(xs, depth, 0.3)
                ax.text(c, depth, prop, ha="center", va="center", fontsize=12)
            elif style == "tree":
                ax.scatter([c], [depth], color="black", s=30)
                colour = "blue" if prop in ("GS", "Add", "Mul") else "black"
                for child in (levels[depth - 1] if depth else []):
                    if set(child) <= set(g):
                        ax.plot([centre[tuple(child)], c], [depth - 1, depth], color=colour)
                if prop in ("Add", "Mul"):
                    ax.text(c, depth + 0.25, "+" if prop == "Add" else "\u00d7", ha="center",
                            va="center", color="red", fontsize=20)
                elif prop == "" and depth:
                    box(xs, depth, 0.2)
            centre[tuple(g)] = c
    for i in range(n):
        ax.text(pos[i], -0.6, names[i], ha="center", va="top", fontsize=14)
    ax.set_xlim(0, 1)
    ax.set_ylim(-1.2, len(levels))
    ax.axis("off")
