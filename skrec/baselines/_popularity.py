"""Non-personalized baselines."""

from __future__ import annotations

import numpy as np

from ..base import BaseRecommender, RecommenderTags


class Popularity(BaseRecommender):
    """Rank items by their number of training interactions.

    The yardstick every personalized model must beat. Scores are the same
    for every user; ``exclude_seen`` still removes each user's own items.

    Attributes
    ----------
    item_popularity_ : ndarray of shape (n_items_,)
        Interactions per item (weighted by ``sample_weight``); the score.
    user_ids_, item_ids_ : ndarray
        Ids seen at fit, in order of first appearance.
    n_users_, n_items_ : int
    seen_ : scipy.sparse.csr_array of shape (n_users_, n_items_)
        Training interactions.

    See Also
    --------
    skrec.neighbors.ItemKNN : Item-based nearest neighbours.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.baselines import Popularity
    >>> data = make_interactions(n_users=50, n_items=20, random_state=0)
    >>> model = Popularity().fit(data.X)
    >>> items, scores = model.recommend([0, 1], k=3)
    >>> items.shape, scores.shape
    ((2, 3), (2, 3))
    """

    def __init__(self):
        pass

    def __skrec_tags__(self):
        # Scores do not depend on the user, so any user "folds in" trivially.
        return RecommenderTags(feedback="implicit", fold_in=True)

    def _fit(self, data):
        return self

    def _score_items(self, context, item_idx):
        pop = self.item_popularity_ if item_idx is None else self.item_popularity_[item_idx]
        return np.tile(pop, (len(context), 1))

    def _predict_pairs(self, user_idx, item_idx, features=None):
        return self.item_popularity_[item_idx]
