"""SessionKNN: session-based item-KNN."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from ..base import BaseRecommender, RecommenderTags
from ..utils._compat import Interval
from ._base import context_prefixes, ordered_sequences

__all__ = ["SessionKNN"]


class SessionKNN(BaseRecommender):
    """Session-based item-KNN: items that co-occur in sessions with the last item.

    Two items are similar when they occur in the same training sessions:
    ``sim(i, j) = n_ij / (n_i ** alpha * n_j ** (1 - alpha) + shrink)``
    with ``n_ij`` the number of sessions holding both and ``n_i`` those
    holding ``i`` (cosine for ``alpha=0.5``, ``shrink=0``). The next item
    of a session is scored by its similarity to the **last** item of the
    session, the item-KNN baseline of the GRU4Rec paper; global
    popularity, scaled far below any similarity, breaks ties and ranks the
    items without co-occurrence. An item is not its own neighbour.

    The session is the user's last session in the context (their
    ``history``, or their last training session). Sessions come from the
    ``session`` column (without it, a user's whole history is one session,
    for the co-occurrences too); rows are ordered by ``timestamp`` within a
    session.

    Parameters
    ----------
    shrink : float, default=20.0
        Added to the denominator: damps similarities of rare items (the
        ``lmbd`` of the GRU4Rec baseline).
    alpha : float, default=0.5
        Asymmetry of the normalization.

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_array of shape (n_items_, n_items_)
        Item-item similarities (zero diagonal).
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    SPop : Session popularity.
    GRU4Rec : A recurrent network over the whole session.

    References
    ----------
    .. [1] B. Hidasi, A. Karatzoglou, L. Baltrunas and D. Tikk,
       "Session-based Recommendations with Recurrent Neural Networks", ICLR 2016
       (the item-KNN baseline).
    .. [2] B. Sarwar, G. Karypis, J. Konstan and J. Riedl, "Item-based
       Collaborative Filtering Recommendation Algorithms", WWW 2001.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.sequential import SessionKNN
    >>> X = pd.DataFrame({"user": [0, 0, 1, 1, 2, 2], "item": [1, 2, 1, 2, 3, 4],
    ...                   "session": [0, 0, 1, 1, 2, 2]})
    >>> model = SessionKNN(shrink=0.0).fit(X)
    >>> prefix = pd.DataFrame({"user": "s", "item": [4, 1], "session": 9})
    >>> items, _ = model.recommend(["s"], k=1, history=prefix, exclude_seen=False)
    >>> items
    array([[2]])
    """

    _parameter_constraints: dict = {
        "shrink": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": [Interval(numbers.Real, 0, 1, closed="both")],
    }

    def __init__(self, shrink=20.0, alpha=0.5):
        self.shrink = shrink
        self.alpha = alpha

    def __skrec_tags__(self):
        return RecommenderTags(fold_in=True, sequence=True)

    def _fit(self, data):
        indptr, items = ordered_sequences(data.user, data.item, data.timestamp, data.session,
                                          min_len=1)
        n_sess = len(indptr) - 1
        owner = np.repeat(np.arange(n_sess), np.diff(indptr))
        S = sp.csr_array((np.ones(len(items)), (owner, items)), shape=(n_sess, data.n_items))
        S.data[:] = 1.0  # presence, not counts
        S.sum_duplicates()
        S.data[:] = 1.0
        co = (S.T @ S).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        support = np.asarray(S.sum(axis=0)).ravel()
        coo = co.tocoo()
        denom = (support[coo.row] ** self.alpha) * (support[coo.col] ** (1 - self.alpha))
        vals = coo.data / (denom + self.shrink)
        self.similarity_ = sp.csr_array((vals, (coo.row, coo.col)),
                                        shape=(data.n_items, data.n_items))
        pop = self.item_popularity_
        self._backoff = 1e-9 * pop / (pop.max() + 1.0) if len(pop) else pop
        return self

    def _score_items(self, context, item_idx):
        indptr, items = context_prefixes(context, 1)
        last = np.full(len(context), -1, dtype=np.int64)
        has = np.diff(indptr) > 0
        last[has] = items[indptr[1:][has] - 1]
        scores = np.zeros((len(context), self.n_items_))
        if has.any():
            scores[has] = self.similarity_[last[has]].toarray()
        scores += self._backoff[None, :]
        return scores if item_idx is None else scores[:, item_idx]
