"""Scorers: (estimator, X_test, y_test) callables for scikit-learn model selection."""

from __future__ import annotations

import re

import numpy as np

from .._constants import ITEM, USER
from .._data import check_interactions, encode


def _ndcg_from_hits(hits, n_relevant, k):
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * discounts[: hits.shape[1]]).sum(axis=1)
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, k) - 1]
    return dcg / ideal


def _ndcg_scorer(k):
    def scorer(estimator, X, y=None):
        from .._api import _unwrap

        inner, _ = _unwrap(estimator, None)
        table = check_interactions(X, name="X_test")
        u = encode(table.user, inner._user_index)
        i = encode(table.item, inner._item_index)
        keep = (u >= 0) & (i >= 0)
        u, i = u[keep], i[keep]
        seen = inner.seen_[u, i] if len(u) else np.empty(0)
        fresh = np.asarray(seen).ravel() == 0
        u, i = u[fresh], i[fresh]
        if len(u) == 0:
            return 0.0
        users, inv = np.unique(u, return_inverse=True)
        items, _ = inner.recommend(inner.user_ids_[users], k=k)
        codes = encode(items.ravel(), inner._item_index).reshape(items.shape)
        truth = {}
        for r, item in zip(inv, i):
            truth.setdefault(r, set()).add(item)
        hits = np.array([[c in truth[r] for c in codes[r]] for r in range(len(users))], float)
        n_rel = np.array([len(truth[r]) for r in range(len(users))])
        return float(_ndcg_from_hits(hits, n_rel, k).mean())

    return scorer


def get_scorer(name):
    """A scorer by name, e.g. ``"ndcg@10"``.

    Parameters
    ----------
    name : str

    Returns
    -------
    scorer : callable ``(estimator, X, y=None) -> float``
    """
    match = re.fullmatch(r"ndcg@(\d+)", str(name))
    if not match:
        raise ValueError(f"Unknown scorer {name!r}; valid: 'ndcg@K'.")
    return _ndcg_scorer(int(match.group(1)))


__all__ = ["get_scorer", "ITEM", "USER"]
