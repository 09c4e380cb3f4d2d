"""pykan's checkpoints and auto-save, as a mixin of :class:`kanlab.pykan.KAN`.

``auto_save`` (on by default, as in pykan) writes a checkpoint after every
step that changes the model, to ``ckpt_path`` (default ``./model``, relative
to the working directory): ``<ckpt_path>/<round>.<state_id>.pt``, with pykan's
``<round>.<state_id>_state`` (the ``state_dict``) and ``_cache_data`` beside it.  This is the
only file kanlab writes without being asked, and only :mod:`kanlab.pykan`
does it; ``auto_save=False`` turns it off.  A checkpoint is the whole model
pickled with ``torch.save``, written atomically.

``loadckpt`` also reads what pykan 0.2.8's ``saveckpt`` wrote (``path_config.yml``,
``path_state``, ``path_cache_data``), and ``load_state_dict`` accepts pykan's keys
(:mod:`kanlab.pykan._pykan_state`).
"""
from __future__ import annotations

import copy
import io
import os
import pickle
import warnings

import torch

__all__ = ["Checkpoints"]

CHOICE_KEY = "continuation_choice"
INPUTS_KEY = "input_ids"  # the original input column of each input (prune_input)
# whether the layers still wait for the first grid update to leave pykan's continuation
# (kanlab.pykan._continuation.grids_placed): 1 waiting, 0 not
UNPLACED_KEY = "continuation_unplaced"
# the data's width after prune_input (kanlab.pykan._input_ids.own_columns): 0 none recorded
COLUMNS_KEY = "data_columns"


class Checkpoints:
    """``saveckpt``, ``loadckpt``, ``rewind``/``checkout``, ``copy`` and the auto-save hook.

    The host class sets ``auto_save``, ``ckpt_path``, ``round`` and ``state_id``.
    """

    def _ckpt_file(self) -> str:
        return os.path.join(self.ckpt_path, f"{self.round}.{self.state_id}")

    def log_history(self, method_name: str = "") -> None:
        """pykan's auto-save: a new checkpoint version after a change of the model, noted in
        the history (:meth:`history`)."""
        if self.auto_save:
            self.history_lines().append(f"{self.round}.{self.state_id} => {method_name} => "
                                        f"{self.round}.{self.state_id + 1}")
            self.state_id += 1
            self.auto_checkpoint()

    def history_lines(self) -> list[str]:
        """The version log pykan writes to ``<ckpt_path>/history.txt`` (kept on the model
        here, shared with the models ``prune``/``refine`` return, as pykan's file is)."""
        if getattr(self, "history_log", None) is None:
            self.history_log = []
        return self.history_log

    def history(self, k="all") -> None:
        """Print the last ``k`` lines of the version log (all with ``'all'``), as pykan."""
        lines = self.history_lines()
        for line in (lines if k == "all" else lines[len(lines) - int(k):] if int(k) > 0 else []):
            print(line)

    def auto_checkpoint(self) -> None:
        """Write the auto-save checkpoint of this version.  A model that cannot be pickled (a
        subclass defined where pickle cannot find it, e.g. inside a function) is not written:
        a RuntimeWarning says so, and the model works on (pykan saves only weights and
        configuration, so its auto-save never stops a model from being built or trained)."""
        try:
            self.saveckpt(self._ckpt_file())
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            warnings.warn(f"auto_save: checkpoint {self._ckpt_file()}.pt not written, the model "
                          f"cannot be pickled ({exc}); define the model's class at module level, "
                          "or pass auto_save=False", RuntimeWarning, stacklevel=3)

    def saveckpt(self, path="model") -> None:
        """Write the whole model (pickled with ``torch.save``) to ``path + '.pt'``, and, under
        pykan 0.2.8's names, its ``state_dict`` to ``path + '_state'`` and the last input it
        saw to ``path + '_cache_data'`` (user code loads those with ``torch.load``, e.g.
        ``m.load_state_dict(torch.load(ckpt_path + '/0.3_state'))``).  pykan's
        ``_config.yml`` is not written; :meth:`loadckpt` reads the ``.pt``."""
        folder = os.path.dirname(str(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        from kanlab.io import atomic_write_bytes
        for suffix, obj in ((".pt", self), ("_state", self.state_dict()),
                            ("_cache_data", getattr(self, "cache_data", None))):
            buf = io.BytesIO()
            torch.save(obj, buf)
            atomic_write_bytes(str(path) + suffix, buf.getvalue())

    @classmethod
    def loadckpt(cls, path="model", map_location=None):
        """Read a model written by :meth:`saveckpt` (``path + '.pt'``) or by pykan 0.2.8's
        ``saveckpt(path)`` (``path_config.yml`` and ``path_state``; ``path`` may name one of
        them), whichever is there.  A pykan model continues its splines as pykan's
        (``extrapolate="extended"``), so it computes pykan's outputs inside and outside the
        grid.  The model comes back on the device it was saved from, or on ``map_location``
        (``torch.load``'s: e.g. ``"cpu"`` for a model saved on a GPU, on a machine without
        one)."""
        from kanlab.pykan._pykan_state import load_checkpoint, pykan_files
        path = str(path)
        if os.path.isfile(path + ".pt"):
            return torch.load(path + ".pt", weights_only=False, map_location=map_location)
        if path.endswith(".pt") and os.path.isfile(path):
            return torch.load(path, weights_only=False, map_location=map_location)
        if pykan_files(path) is not None:
            return load_checkpoint(cls, path, map_location)
        hint = ""
        if os.path.isdir(path):  # e.g. the auto-save folder: name a version in it
            names = sorted(n[: -len(e)] for n in os.listdir(path)
                           for e in (".pt", "_config.yml") if n.endswith(e))
            hint = (f"; {path!r} is a folder, name a checkpoint in it, e.g. "
                    f"{os.path.join(path, names[-1])!r} (there: {', '.join(names)})"
                    if names else f"; {path!r} is a folder without checkpoints")
        raise FileNotFoundError(f"no checkpoint at {path!r}: expected {path}.pt (kanlab's "
                                f"saveckpt) or {path}_config.yml with {path}_state (pykan's)"
                                + hint)

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """torch's ``state_dict`` (kanlab's keys); pykan's names (``act_fun.0.coef``, ...) are
        also looked up, in pykan's layout (:mod:`kanlab.pykan._state_names`)."""
        from kanlab.pykan._state_names import with_pykan_names
        out = super().state_dict(*args, destination=destination, prefix=prefix, keep_vars=keep_vars)
        return with_pykan_names(out) if destination is None and not args and not prefix else out

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """torch's ``load_state_dict``; a ``state_dict`` with pykan 0.2.8's keys
        (``act_fun.0.coef``, ``symbolic_fun.0.affine``, ``node_bias_0``, ...) of a model of
        the same width is translated (:func:`kanlab.pykan._pykan_state.load_state`)."""
        from kanlab.pykan._pykan_state import is_pykan_state, load_state
        if is_pykan_state(state_dict):
            return load_state(self, state_dict, strict=strict)
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    # the fits' continuation choice (chosen_continuations, continuation_fixed: _model.py,
    # _fit.py) in the state_dict, next to the layers' continuations: [fixed, then per
    # layer 1 chosen / 0 not / -1 no fit has chosen yet]
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        from kanlab.nn._saved_settings import setting_tensor
        super()._save_to_state_dict(destination, prefix, keep_vars)
        chosen = getattr(self, "chosen_continuations", None)
        per_layer = tuple(-1 if chosen is None else int(l in chosen)
                          for l in range(len(self.layers)))
        destination[prefix + CHOICE_KEY] = setting_tensor(
            self, CHOICE_KEY, (int(bool(getattr(self, "continuation_fixed", False))),)
            + per_layer, self.layers[0].knots.device)
        destination[prefix + INPUTS_KEY] = setting_tensor(
            self, INPUTS_KEY, tuple(self.input_ids), self.layers[0].knots.device)
        destination[prefix + UNPLACED_KEY] = setting_tensor(
            self, UNPLACED_KEY, (int(bool(getattr(self, "continuation_unplaced", False))),),
            self.layers[0].knots.device)
        destination[prefix + COLUMNS_KEY] = setting_tensor(
            self, COLUMNS_KEY, (int(getattr(self, "data_columns", None) or 0),),
            self.layers[0].knots.device)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        from kanlab.nn._saved_settings import take_setting
        if prefix:  # inside a user's net: pykan's keys under the prefix are translated here
            _translate_nested_pykan_state(self, state_dict, prefix, missing_keys, unexpected_keys)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        ids = take_setting(state_dict, prefix + INPUTS_KEY, unexpected_keys, error_msgs,
                           self.n_nodes[0], 0, 2 ** 62)
        if ids is not None and len(set(ids)) == len(ids):
            self.input_ids = ids
        elif ids is not None:
            error_msgs.append(f"{prefix + INPUTS_KEY}: expected distinct input columns, got {ids}")
        columns = take_setting(state_dict, prefix + COLUMNS_KEY, unexpected_keys, error_msgs,
                               1, 0, 2 ** 62)
        if columns is not None:
            self.data_columns = columns[0] or None
        unplaced = take_setting(state_dict, prefix + UNPLACED_KEY, unexpected_keys, error_msgs,
                                1, 0, 1)
        from kanlab.pykan._continuation import grids_placed
        if unplaced == [1]:
            self.continuation_unplaced = True
        elif unplaced == [0] or getattr(self, "continuation_unplaced", False) and not any(
                key.startswith(prefix + "layers.") and key.endswith(".extrapolate")
                for key in state_dict):
            # placed (or saved before the layers' continuations were: trained on the placed
            # one); the layers' own keys, loaded after this, override the switch
            grids_placed(self)
        saved = take_setting(state_dict, prefix + CHOICE_KEY, unexpected_keys, error_msgs,
                             1 + len(self.layers), -1, 1)
        if saved is None:  # a state_dict from before (or of a native KAN): the model's own
            return
        self.continuation_fixed = saved[0] == 1
        self.chosen_continuations = (None if all(c == -1 for c in saved[1:])
                                     else [l for l, c in enumerate(saved[1:]) if c == 1])

    def rewind(self, model_id: str):
        """The model as auto-saved at version ``model_id`` (``"round.state_id"``), carried on
        in a new round under the same version (pykan: ``0.7`` goes on as ``1.7``, then ``1.8``).
        As pykan's, the model rewound from moves to that round and version too."""
        model = self.checkout(model_id)
        self.round, self.state_id = model.round, model.state_id
        return model

    def checkout(self, model_id: str):
        """The model of version ``model_id``, as :meth:`rewind` returns it; this model stays."""
        model = self.loadckpt(os.path.join(self.ckpt_path, str(model_id)))
        model.round, model.state_id = self.round + 1, int(str(model_id).split(".")[-1])
        model.history_log = self.history_lines()
        model.history_log.append(f"### Round {model.round} ###")
        model.auto_save = self.auto_save
        if model.auto_save:
            model.auto_checkpoint()
        return model

    def copy(self):
        return copy.deepcopy(self)


def _translate_nested_pykan_state(model, state_dict, prefix, missing_keys, unexpected_keys):
    """A pykan 0.2.8 model's keys under ``prefix`` (``kan.act_fun.0.coef``: a net holding a
    KAN, saved with pykan) loaded into ``model`` by :func:`kanlab.pykan._pykan_state.load_state`,
    then replaced in ``state_dict`` (torch's own copy, which it filters for the layers next) by
    the model's keys and values, so torch's walk loads what is already there."""
    from kanlab.pykan._pykan_state import is_pykan_state, load_state
    ours = [key for key in state_dict if key.startswith(prefix)]
    own = {key[len(prefix):]: state_dict[key] for key in ours}
    if not is_pykan_state(own):
        return
    missing, unexpected = load_state(model, own, strict=False)
    missing_keys.extend(prefix + key for key in missing)
    unexpected_keys.extend(prefix + key for key in unexpected)
    for key in ours:
        del state_dict[key]
    state_dict.update(model.state_dict(prefix=prefix))
