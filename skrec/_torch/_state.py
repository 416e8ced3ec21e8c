"""Pickling of torch models: CPU state out, the best available device in.

:class:`TorchStateMixin` is the one loading path of every torch model (the
engine's, ALS, EASE): tensors and modules are stored on the CPU, device
caches are dropped, and loading puts them back on ``device_`` or, when that
device is missing here (a CUDA-trained model on a CPU machine), on the CPU
with a warning (:func:`skrec.utils._torch.loading_device`).
"""

from __future__ import annotations

import copy

import torch

from ..utils._torch import loading_device

__all__ = ["TorchStateMixin"]


def _cpu_copy(module):
    """A copy of ``module`` with every tensor on the CPU, without a device-side copy."""
    memo = {}
    for t in list(module.parameters()) + list(module.buffers()):
        cpu = t.detach().to("cpu", copy=True)
        memo[id(t)] = torch.nn.Parameter(cpu, t.requires_grad) if isinstance(
            t, torch.nn.Parameter
        ) else cpu
    return copy.deepcopy(module, memo)


def _portable(value):
    """Whether an attribute moves between devices with ``.to(device)``."""
    return isinstance(value, torch.Tensor) or getattr(value, "_device_portable", False)


class TorchStateMixin:
    """CPU pickles for torch models, loaded on ``device_`` or the CPU."""

    #: Attributes that are device caches, rebuilt on demand after loading.
    _drop_on_pickle: tuple = ()

    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else dict(
            self.__dict__)
        state = dict(state)
        for key in self._drop_on_pickle:
            state.pop(key, None)
        for key, value in state.items():  # every tensor goes to the CPU
            if isinstance(value, torch.nn.Module):
                state[key] = _cpu_copy(value)
            elif _portable(value):
                state[key] = value.to("cpu")
        return state

    def __setstate__(self, state):
        device = state.get("device_")
        if device is not None:
            state["device_"] = loading_device(device, type(self).__name__)
        if hasattr(super(), "__setstate__"):
            super().__setstate__(state)
        else:  # pragma: no cover
            self.__dict__.update(state)
        device = getattr(self, "device_", None)
        if device is not None:
            for key, value in list(self.__dict__.items()):
                if isinstance(value, torch.nn.Module):
                    value.to(device)
                elif _portable(value):
                    setattr(self, key, value.to(device))
