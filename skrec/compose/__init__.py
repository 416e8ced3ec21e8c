"""Pipeline pieces: side-feature lookup tables, their joiner and an encoding preset.

Transformers in a recommender pipeline only add or change columns; they
never drop or reorder rows, so that ``history`` and test folds keep their
interactions.
"""

from ._preset import make_side_feature_transformer
from ._side import SideFeatureJoiner, SideTable

__all__ = ["SideFeatureJoiner", "SideTable", "make_side_feature_transformer"]
