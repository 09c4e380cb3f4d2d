"""pykan 0.0.x/0.1.x's names and arguments, as a mixin of :class:`kanlab.pykan.KAN`.

Scripts and notebooks written for pykan before 0.2 call methods that pykan 0.2.8
renamed or dropped.  Where the old call is unambiguous and does not clash with
0.2.8's API, it is translated here onto the methods that already exist; nothing
here trains, prunes or fits by itself.

* ``model.train(dataset, ...)`` (a dataset dict, positional or ``dataset=``) is
  :meth:`fit`, with a :class:`FutureWarning` naming ``fit``.  ``model.train()``,
  ``model.train(False)`` and ``model.eval()`` keep :meth:`torch.nn.Module.train`'s
  meaning.  The old keywords ``device`` (the model's own device is used),
  ``sglr_avoid`` (``singularity_avoiding``) and ``small_mag_threshold`` /
  ``small_reg_factor`` at their defaults (the plain L1 penalty) are accepted, by
  ``train`` and by :meth:`fit` (pykan 0.1's ``fit`` took them too).
* ``save_ckpt(name, folder)``, ``load_ckpt(name, folder)``, ``clear_ckpts(folder)``:
  the model's ``state_dict`` under ``folder`` (default ``./model_ckpt``), read back in place.
* ``initialize_from_another_model(other, x)``: this model takes ``other``'s function
  on its own grid, fitted by least squares where ``other``'s activations on ``x`` lie
  (:mod:`kanlab.pykan._initialize`), and returns itself.  pykan 0.2.8 has it too, and
  ``initialize_grid_from_another_model(other, x)`` (returns ``None``).
* ``prune(threshold=..., mode='manual', active_neurons_id=...)``: the old
  ``prune`` removed hidden nodes only (0.2.8's ``prune_node``), scoring a node by its
  largest incoming and largest outgoing edge scale (``acts_scale``: both must pass the
  threshold; 0.2.8 scores by attribution, which prunes more); ``active_neurons_id``
  lists every level's kept nodes, inputs first (0.2.8's lists hidden levels only).
  A bare ``prune()`` is 0.2.8's (nodes, then edges).
* ``KAN(save_plot_data=...)`` and ``model.save_plot_data`` (pykan 0.0.5-0.2.1, July 2024):
  ``save_act``, the name 0.2.2 gave it.
* ``symbolic_formula(floating_digit=n)``: every number rounded to ``n`` decimals
  (keyword only: 0.2.8's first positional argument is ``var``).

Not translated: ``lock``/``unlock`` (tied activation functions: kanlab's edges
share no parameters, and pykan 0.2.8 dropped them too) and ``train(save_video=...)``.
"""
from __future__ import annotations

import os
import warnings

import torch

__all__ = ["OLD_FIT_KEYWORDS", "OldApi", "old_fit_kwargs", "save_act_of"]

# pykan 0.1's ``train`` keywords that 0.2.8's ``fit`` dropped, with the value meaning
# "no change" (the plain L1 penalty below ``small_mag_threshold``)
_NEUTRAL = {"small_mag_threshold": 1e-16, "small_reg_factor": 1.0}
# pykan 0.1's ``train``/``fit`` keywords that 0.2.8's ``fit`` lacks
OLD_FIT_KEYWORDS = ("device", "sglr_avoid", *_NEUTRAL)


def old_fit_kwargs(model, kwargs: dict) -> dict:
    """pykan 0.1's ``train``/``fit`` keywords as 0.2.8's ``fit`` keywords."""
    kwargs = dict(kwargs)
    device = kwargs.pop("device", None)
    if device is not None:
        from kanlab.pykan._legacy import available_device
        device = available_device(device)
        if torch.device(device).type != model.device.type:
            raise ValueError(f"fit(device={device!r}) on a model on {model.device}: "
                             f"move the model first (model.to({device!r}))")
    if "sglr_avoid" in kwargs:
        kwargs["singularity_avoiding"] = bool(kwargs.pop("sglr_avoid"))
    for name, neutral in _NEUTRAL.items():
        if name in kwargs and float(kwargs.pop(name)) != neutral:
            raise ValueError(f"fit({name}=...) (pykan 0.1's penalty for small activations) "
                             f"is not supported: only its default {neutral} (the plain L1 "
                             "penalty) is")
    return kwargs


def save_act_of(save_act, save_plot_data) -> bool:
    """``save_act`` given pykan 0.2.1's ``save_plot_data`` too (the same switch, renamed)."""
    if not save_act and save_plot_data:  # save_act=False given explicitly against it
        raise ValueError("save_plot_data is pykan 0.2.1's name for save_act: give one of them "
                         f"(got save_act={save_act!r}, save_plot_data={save_plot_data!r})")
    return bool(save_plot_data)


def _old_kept(model, threshold: float) -> list[list[int]]:
    """pykan 0.1's kept hidden nodes: both the largest incoming and the largest outgoing
    edge scale (``acts_scale``, last input seen) above ``threshold``; at least one per level."""
    scales = model.acts_scale
    kept = []
    for level in range(1, len(model.n_nodes) - 1):
        incoming = scales[level - 1].max(dim=1).values
        outgoing = scales[level].max(dim=0).values
        important = (incoming > threshold) & (outgoing > threshold)
        kept.append(important.nonzero().flatten().tolist()
                    or [int(torch.minimum(incoming, outgoing).argmax())])
    return kept


class OldApi:
    """pykan < 0.2's methods, each translated onto kanlab.pykan's own (see module doc)."""

    def train(self, mode=True, *args, **kwargs):
        """``nn.Module.train(mode)``; with a dataset dict, pykan 0.1's ``train``: :meth:`fit`."""
        if "dataset" in kwargs and mode is True and not args:
            mode = kwargs.pop("dataset")
        if isinstance(mode, dict):
            warnings.warn("model.train(dataset, ...) is pykan 0.1's name for training: "
                          "call model.fit(dataset, ...) (model.train() keeps torch's "
                          "nn.Module.train meaning)", FutureWarning, stacklevel=2)
            return self.fit(mode, *args, **old_fit_kwargs(self, kwargs))
        if args or kwargs:
            raise TypeError("train(mode=True) sets training mode (torch's nn.Module.train); "
                            "to train on data pass a dataset dict, or call fit(dataset, ...)")
        if not isinstance(mode, bool):
            raise TypeError(f"train expects a bool (training mode) or a dataset dict, got "
                            f"{type(mode).__name__}")
        return super().train(mode)

    @property
    def save_plot_data(self) -> bool:
        """pykan 0.2.1's name for :attr:`save_act` (reading and setting it)."""
        return self.save_act

    @save_plot_data.setter
    def save_plot_data(self, value) -> None:
        self.save_act = bool(value)

    # ------------------------------------------------------------------ checkpoints
    def save_ckpt(self, name, folder="./model_ckpt") -> None:
        """Write ``state_dict()`` to ``folder/name`` (pykan 0.1; prints where, as it did)."""
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, str(name))
        torch.save(self.state_dict(), path)
        print("save this model to", path)

    def load_ckpt(self, name, folder="./model_ckpt") -> None:
        """Read a :meth:`save_ckpt` file back into this model, in place."""
        self.load_state_dict(torch.load(os.path.join(folder, str(name)),
                                        map_location=self.device, weights_only=True))

    def clear_ckpts(self, folder="./model_ckpt") -> None:
        """Delete the files directly in ``folder`` (pykan 0.1's checkpoints); create it if
        missing.  Sub-folders are left alone."""
        if not os.path.isdir(folder):
            os.makedirs(folder)
            return
        for entry in os.scandir(folder):
            if entry.is_file(follow_symlinks=False):
                os.remove(entry.path)

    # ------------------------------------------------------------------ grids
    def initialize_from_another_model(self, another_model, x):
        """Take ``another_model``'s function onto this model's grid, fitted on ``x``
        (:mod:`kanlab.pykan._initialize`); returns ``self``."""
        from kanlab.pykan._continuation import after_refine
        from kanlab.pykan._initialize import initialize_from
        x = self._data(x)
        initialize_from(self, another_model, x)
        self.reference_input = x.detach()
        after_refine(self, [])  # pykan's refine by hand: its fits choose no continuation
        return self

    # ------------------------------------------------------------------ pruning
    def old_prune(self, threshold=None, mode=None, active_neurons_id=None):
        """pykan 0.1's ``prune``: hidden nodes only; ``active_neurons_id`` from the inputs on
        (the model pruned left whole)."""
        from kanlab.pykan._structure import prune_node
        if mode == "manual" or (mode is None and active_neurons_id is not None):
            if active_neurons_id is None or len(active_neurons_id) != len(self.n_nodes):
                raise ValueError("prune(mode='manual') needs active_neurons_id with one list "
                                 f"of kept nodes per level ({len(self.n_nodes)} levels, inputs "
                                 "first, as pykan 0.1)")
            return prune_node(self, mode="manual", active_neurons_id=active_neurons_id[1:-1],
                              switch_off=False)
        if mode not in (None, "auto"):
            raise ValueError(f"prune mode must be 'auto' or 'manual', got {mode!r}")
        threshold = 1e-2 if threshold is None else float(threshold)
        if list(self.width_in) != list(self.width_out):  # multiplication nodes: 0.2's scores
            return prune_node(self, threshold=threshold, switch_off=False)
        return prune_node(self, mode="manual", active_neurons_id=_old_kept(self, threshold),
                          switch_off=False)

    # ------------------------------------------------------------------ symbolic
    def symbolic_formula(self, var=None, normalizer=None, output_normalizer=None,
                         simplify=False, *, floating_digit=None):
        """0.2.8's ``([exprs], vars)``; with ``floating_digit`` (pykan 0.1) numbers rounded."""
        exprs, symbols = super().symbolic_formula(var, normalizer, output_normalizer, simplify)
        if floating_digit is not None:
            from kanlab.pykan._symbolic import ex_round
            exprs = [ex_round(e, int(floating_digit)) for e in exprs]
        return exprs, symbols
