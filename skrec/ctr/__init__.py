"""Factorization machines and CTR models on user, item and side-feature fields.

Every model reads the columns of ``X`` as fields (see :ref:`ctr`): ids and
categorical columns one-hot, numeric columns real-valued, list columns as
bags. Binary click labels (``y`` in {0, 1}) with ``loss="bce"`` are the
default use; ratings (``loss="mse"``) and implicit feedback with sampled
negatives (``feedback="implicit"``) are supported too.
"""

from ._deepfm import DeepFM
from ._dlrm import DLRM
from ._fm import FM
from ._nfm import NFM
from ._wide_deep import WideAndDeep
from ._xdeepfm import XDeepFM

__all__ = ["DLRM", "FM", "NFM", "DeepFM", "WideAndDeep", "XDeepFM"]
