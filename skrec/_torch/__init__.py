"""The private torch engine: the training loop and the input-shaped bases.

Only the families that train with torch import this package, so importing a
family without torch models (``skrec.neighbors``, ``skrec.baselines``) never
imports torch.
"""

from ._engine import FunctionalModule, TorchRecommender
from ._pairs import PairwiseRecommender
from ._rows import UserRowRecommender
from ._sampling import NegativeSampler, user_holdout_mask
from ._sequences import SequenceRecommender

__all__ = [
    "FunctionalModule",
    "NegativeSampler",
    "PairwiseRecommender",
    "SequenceRecommender",
    "TorchRecommender",
    "UserRowRecommender",
    "user_holdout_mask",
]
