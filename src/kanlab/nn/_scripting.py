"""A clear error from ``torch.jit.script``, which cannot compile kanlab's modules.

TorchScript compiles a restricted Python: kanlab's forward passes choose among
kernels, caches and continuations in ordinary Python (keyword-only arguments,
dataclasses, module-level tables), which it rejects with an unrelated message
("Unknown type annotation: 'int'").  ``torch.jit.script`` calls a module's
``__prepare_scriptable__`` before compiling it; here that says what works instead.
"""
from __future__ import annotations

__all__ = ["NotScriptable"]

SCRIPT_ADVICE = ("torch.jit.script cannot compile kanlab's {name} (its forward pass is "
                 "dynamic Python). Use torch.jit.trace(model, example) for a TorchScript "
                 "module, torch.export.export(model, (example,)) or kanlab.io.export_program "
                 "for an exported program, or kanlab.io.to_onnx / torch.onnx.export for ONNX; "
                 "see docs/guide/deployment.md")


class NotScriptable:
    """Mixin: ``torch.jit.script`` of the module raises a ``TypeError`` naming the alternatives."""

    def __prepare_scriptable__(self):
        raise TypeError(SCRIPT_ADVICE.format(name=type(self).__name__))
