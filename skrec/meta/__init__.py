"""Meta-learning recommenders: MAML around a torch recommender (MetaRec)."""

from ._maml import MAMLRecommender

__all__ = ["MAMLRecommender"]
