"""SPop: session popularity."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..base import BaseRecommender, RecommenderTags
from ._base import context_prefixes

__all__ = ["SPop"]


class SPop(BaseRecommender):
    """Session popularity: the items of the current session, most frequent first.

    An item's score is the number of times it occurs in the current session
    (the user's last session in the context: their ``history``, or their
    last training session), plus its global training popularity scaled into
    ``[0, 1)``, which breaks ties and ranks the items not in the session
    (back-off to :class:`~skrec.baselines.Popularity`). Sessions come from
    the ``session`` column (without it, a user's whole history is one
    session); without timestamps the row order is the session order.

    A baseline for the next-item scorer, which keeps the session's items in
    the ranking (``exclude_seen=False``); with ``recommend``'s default
    ``exclude_seen=True`` it ranks like popularity.

    Attributes
    ----------
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    SessionKNN : Items similar to the last item of the session.
    skrec.baselines.Popularity : Global popularity.

    References
    ----------
    .. [1] D. Jannach and M. Ludewig, "When Recurrent Neural Networks meet the
       Neighborhood for Session-Based Recommendation", RecSys 2017.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.sequential import SPop
    >>> X = pd.DataFrame({"user": [0, 0, 1, 1, 2], "item": [1, 2, 1, 3, 1],
    ...                   "session": [0, 0, 1, 1, 2]})
    >>> model = SPop().fit(X)
    >>> prefix = pd.DataFrame({"user": "s", "item": [3, 2, 3], "session": 9})
    >>> items, _ = model.recommend(["s"], k=3, history=prefix, exclude_seen=False)
    >>> items
    array([[3, 2, 1]])
    """

    def __init__(self):
        pass

    def __skrec_tags__(self):
        return RecommenderTags(fold_in=True, sequence=True)

    def _fit(self, data):
        pop = self.item_popularity_
        self._backoff = pop / (pop.max() + 1.0) if len(pop) else pop
        return self

    def _score_items(self, context, item_idx):
        indptr, items = context_prefixes(context)
        counts = sp.csr_array((np.ones(len(items)), items, indptr),
                              shape=(len(context), self.n_items_)).toarray()
        scores = counts + self._backoff[None, :]
        return scores if item_idx is None else scores[:, item_idx]
