"""Deterministic support / query split of each user's rows (cold-start protocols)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._constants import TIME
from .._data import check_interactions, encode_fit, position_in_group
from ..utils.validation import check_int


def support_query_split(X, y=None, *, n_support=5, order="time", random_state=0):
    """Split each user's rows into a support set and a query set.

    The support rows play the part of what a new user has already done (the
    ``history=`` passed to :meth:`recommend`); the query rows are what the
    recommender must find. Cold-start scorers
    (:func:`skrec.metrics.make_ranking_scorer` with ``cold_users="fold_in"``)
    and meta-learning use it, so every model sees the same protocol.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_interactions, n_columns)
        Interaction table (``user`` and ``item`` columns, ``timestamp`` for
        ``order="time"``).
    y : array-like of shape (n_interactions,), default=None
        Ignored; accepted for symmetry with scikit-learn splitters.
    n_support : int, default=5
        Rows per user in the support set. A user with ``n_support`` rows or
        fewer keeps all rows but the last one (in ``order``) as support and
        that last row as query, so every user with at least two rows has
        both sets; a user with a single row has only a query row.
    order : {"time", "random"}, default="time"
        ``"time"``: a user's earliest rows are support (ties by row order);
        ``"random"``: a random permutation drawn from ``random_state``.
    random_state : int, RandomState instance or None, default=0
        Seed for ``order="random"`` (an int gives the same split each call).

    Returns
    -------
    support_idx, query_idx : ndarray of int64
        Row positions into ``X``, in increasing order; together they are
        every row, once.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.model_selection import support_query_split
    >>> X = pd.DataFrame({"user": [1, 1, 1, 2, 2], "item": [10, 11, 12, 10, 13],
    ...                   "timestamp": [3, 1, 2, 5, 4]})
    >>> support, query = support_query_split(X, n_support=2)
    >>> support.tolist(), query.tolist()
    ([1, 2, 4], [0, 3])
    """
    n_support = check_int(n_support, "n_support", 0)
    if order not in ("time", "random"):
        raise ValueError(f"order must be 'time' or 'random', got {order!r}.")
    table = check_interactions(X, require_time=order == "time", allow_empty=True)
    n = len(table)
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy()
    user, _ = encode_fit(table.user)
    if order == "time":
        key, _ = pd.factorize(table.timestamp, sort=True)
        if (key < 0).any():  # pragma: no cover - check_interactions refuses missing values
            raise ValueError(f"X[{TIME!r}] has missing values.")
    else:
        key = check_random_state(random_state).permutation(n)
    position, sizes = position_in_group(user, order=key)
    cutoff = np.where(sizes > n_support, n_support, sizes - 1)
    in_support = position < cutoff
    return np.flatnonzero(in_support).astype(np.int64), np.flatnonzero(~in_support).astype(
        np.int64
    )
