"""Ranking metrics and the scorers that plug them into scikit-learn model selection.

Metric functions take a relevance matrix and a score matrix of shape
``(n_users, n_items)`` (``-inf`` marks an excluded item) and return one
float, macro-averaged over users with at least one relevant item. Scorers
are ``(estimator, X_test, y_test=None)`` callables for ``scoring=``.
"""

from ._ranking import (
    auc_score,
    catalog_coverage,
    hit_rate_at_k,
    intra_list_diversity,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    novelty,
    precision_at_k,
    recall_at_k,
)
from ._scorer import get_scorer, make_ranking_scorer
from ._session import make_next_item_scorer

__all__ = [
    "auc_score",
    "catalog_coverage",
    "get_scorer",
    "hit_rate_at_k",
    "intra_list_diversity",
    "make_next_item_scorer",
    "make_ranking_scorer",
    "map_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "novelty",
    "precision_at_k",
    "recall_at_k",
]
