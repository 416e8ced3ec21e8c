"""Next-item scorer for session data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .._constants import USER
from .._data import check_interactions, position_in_group
from ..utils.validation import check_k
from . import _kernels as K
from ._scorer import _check_optional_positive_int, _parse_metric, _take

_NEXT_ITEM_METRICS = ("recall", "hit_rate", "mrr", "ndcg")
_PSEUDO_USER = "\x00skrec-next-item-{}"


class _NextItemScorer:
    """Callable ``(estimator, X_test, y_test=None)`` built by :func:`make_next_item_scorer`."""

    def __init__(self, metrics, single, *, exclude_seen, batch_size):
        self.metrics = metrics
        self.single = single
        self.exclude_seen = exclude_seen
        self.batch_size = batch_size

    def __repr__(self):
        names = [key for key, _, _ in self.metrics]
        return f"make_next_item_scorer({names[0] if self.single else names!r})"

    def __call__(self, estimator, X, y=None):
        from .._api import recommend
        from ..utils._tags import unwrap_estimator

        inner, _ = unwrap_estimator(estimator, fitted=True)
        check_is_fitted(inner)
        table = check_interactions(X, name="X_test", require_session=True)
        n = len(table)
        session_key, _ = pd.factorize(table.session)
        time_key = (
            np.zeros(n, dtype=np.int64) if table.timestamp is None
            else pd.factorize(table.timestamp, sort=True)[0]
        )
        rows = np.lexsort((np.arange(n), time_key, session_key))  # sessions, in time order
        position = position_in_group(session_key, order=time_key)[0][rows]
        start = np.arange(n) - position  # where each row's session starts in ``rows``
        event = np.flatnonzero(position > 0)  # every position t >= 1 of every session
        k_max = max(k for _, _, k in self.metrics)
        if len(event) == 0:
            values = {key: K.mean_over_users([], key) for key, _, _ in self.metrics}
            return values[self.metrics[0][0]] if self.single else values
        target = inner.encode_items(table.item[rows[event]])
        prefix_len = position[event]
        prefix_start = start[event]
        step = self.batch_size or max(1, 2**22 // max(inner.n_items_, 1))
        hits = []
        for lo in range(0, len(event), step):
            sl = slice(lo, min(len(event), lo + step))
            lengths = prefix_len[sl]
            offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
            within = np.arange(int(lengths.sum())) - offsets
            hist_rows = rows[np.repeat(prefix_start[sl], lengths) + within]
            owner = np.repeat(np.arange(lo, sl.stop), lengths)
            users = np.array([_PSEUDO_USER.format(e) for e in range(lo, sl.stop)], dtype=object)
            history = _with_users(_take(X, hist_rows), np.asarray(users)[owner - lo])
            items, scores = recommend(
                estimator, users, k_max, history=history, exclude_seen=self.exclude_seen,
                batch_size=step,
            )
            codes = inner.encode_items(items.ravel()).reshape(items.shape)
            hit = (codes == target[sl][:, None]) & np.isfinite(scores) & (codes >= 0)
            hits.append(hit.astype(np.float64))
        hits = np.concatenate(hits)
        one = np.ones(len(hits), dtype=np.int64)
        values = {
            key: K.mean_over_users(K.KERNELS[name](hits[:, :k], one, k), key)
            for key, name, k in self.metrics
        }
        return values[self.metrics[0][0]] if self.single else values


def _with_users(history, users):
    """``history`` with its user column replaced by ``users``."""
    if isinstance(history, pd.DataFrame):
        history = history.copy()
        history[USER] = users
        return history
    history = np.array(history, dtype=object)
    history[:, 0] = users
    return history


def make_next_item_scorer(metric=("recall", "mrr"), k=20, *, exclude_seen=False,
                          batch_size=None):
    """Make a next-item scorer for session data (the GRU4Rec protocol).

    For every test session ``[i_0, ..., i_{L-1}]`` (rows of one ``session``
    in ``timestamp`` order) and every position ``t = 1..L-1``, the prefix
    ``i_0..i_{t-1}`` is given as the ``history`` of a fresh pseudo-user
    (so the user column of ``X_test`` is not used) and the model must put
    ``i_t`` in its top ``k``. Each event counts once (a micro-average over
    all positions); a target item unseen at fit is a miss.

    Parameters
    ----------
    metric : str or list of str, default=("recall", "mrr")
        ``"recall"`` (= ``"hit_rate"`` with one target), ``"mrr"``,
        ``"ndcg"``, each optionally with ``@K``. A list returns a dict.
    k : int, default=20
        List length for names without ``@K``.
    exclude_seen : bool, default=False
        Whether the prefix items are excluded from the list (sessions often
        repeat items, so they are not by default).
    batch_size : int, default=None
        Events (pseudo-users) recommended at once; results do not depend
        on it.

    Returns
    -------
    scorer : callable ``(estimator, X_test, y_test=None)``
        ``X_test`` needs a ``session`` column (and ``timestamp``; without it
        the row order within a session is used).

    References
    ----------
    B. Hidasi et al., "Session-based recommendations with recurrent neural
    networks", ICLR 2016.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.metrics import make_next_item_scorer
    >>> from skrec.baselines import Popularity
    >>> train = pd.DataFrame({"user": [0, 0, 1, 1, 2], "item": [1, 2, 1, 3, 1]})
    >>> test = pd.DataFrame({"user": [5, 5, 5], "item": [1, 1, 2], "session": [7, 7, 7],
    ...                      "timestamp": [1, 2, 3]})
    >>> scorer = make_next_item_scorer(["recall@1", "mrr@3"])
    >>> scorer(Popularity().fit(train), test)  # item 1 is top-1; item 2 ranks 2nd
    {'recall@1': 0.5, 'mrr@3': 0.75}
    """
    k = check_k(k)
    single = isinstance(metric, str)
    specs = [metric] if single else list(metric)
    if not specs:
        raise ValueError("metric is an empty list; name at least one metric, e.g. 'recall@20'.")
    parsed = [_parse_metric(s, k) for s in specs]
    bad = [key for key, name, _ in parsed if name not in _NEXT_ITEM_METRICS]
    if bad:
        valid = ", ".join(m + "@K" for m in _NEXT_ITEM_METRICS)
        raise ValueError(f"{bad} are not next-item metrics; use {valid}.")
    if not isinstance(exclude_seen, (bool, np.bool_)):
        raise TypeError(f"exclude_seen must be a bool, got {exclude_seen!r}.")
    return _NextItemScorer(
        tuple(parsed), single, exclude_seen=bool(exclude_seen),
        batch_size=_check_optional_positive_int(batch_size, "batch_size"),
    )

