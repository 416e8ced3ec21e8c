"""Sequential and session-based recommenders.

``SPop`` and ``SessionKNN`` need no torch; the torch models (``GRU4Rec``,
``SASRec``, ``Caser``, ``HRNN``, ``SVAE``) are imported on first access, so
``from skrec.sequential import SPop`` does not import torch.
"""

import importlib

from ._sknn import SessionKNN
from ._spop import SPop

_TORCH_MODELS = {"Caser": "._caser", "GRU4Rec": "._gru4rec", "HRNN": "._hrnn",
                 "SASRec": "._sasrec", "SVAE": "._svae"}

__all__ = ["Caser", "GRU4Rec", "HRNN", "SASRec", "SPop", "SessionKNN", "SVAE"]


def __getattr__(name):
    if name in _TORCH_MODELS:
        module = importlib.import_module(_TORCH_MODELS[name], __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
