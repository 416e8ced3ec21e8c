"""Small numpy helpers shared by the ranking benchmarks (holdout and metrics).

Written here with numpy on purpose: the benchmarks compare skrec against
peers with one hand-checked protocol that does not depend on skrec.metrics.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def user_holdout(user, item, test_size=0.2, seed=0):
    """Per-user random holdout: boolean mask of test rows (floor(test_size * n_u) per user)."""
    rng = np.random.default_rng(seed)
    n = len(user)
    key = rng.random(n)
    order = np.lexsort((key, user))
    u_sorted = user[order]
    first = np.r_[True, u_sorted[1:] != u_sorted[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    pos = np.arange(n) - start
    counts = np.bincount(user)
    n_test = np.floor(test_size * counts[u_sorted]).astype(np.int64)
    test = np.zeros(n, dtype=bool)
    test[order] = pos < n_test
    return test


def binary_csr(user, item, shape):
    """Binary float32 user x item CSR matrix (duplicates count once)."""
    m = sp.csr_matrix((np.ones(len(user), dtype=np.float32), (user, item)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def ranking_metrics(recs, test_user, test_item, n_items, ks=(10,), recall_k=()):
    """NDCG@k (binary gains, ideal DCG over min(k, |test|)) and Recall@k.

    ``recs`` is an (n_users, K) array of item indices, row ``u`` for user
    ``u``; negative entries are padding. Users without test items are left out.
    Recall@k = hits / min(k, |test|).
    """
    n_users = recs.shape[0]
    test_keys = np.unique(test_user.astype(np.int64) * n_items + test_item)
    n_test = np.bincount(test_user, minlength=n_users)
    users = np.flatnonzero(n_test > 0)
    out = {}
    K = recs.shape[1]
    keys = np.arange(n_users)[:, None].astype(np.int64) * n_items + recs
    hits = np.isin(keys, test_keys) & (recs >= 0)
    hits = hits[users]
    nt = n_test[users]
    disc = 1.0 / np.log2(np.arange(2, K + 2))
    for k in ks:
        dcg = (hits[:, :k] * disc[:k]).sum(1)
        ideal = np.cumsum(disc[:k])[np.minimum(nt, k) - 1]
        out[f"ndcg@{k}"] = float(np.mean(dcg / ideal))
    for k in recall_k:
        out[f"recall@{k}"] = float(np.mean(hits[:, :k].sum(1) / np.minimum(nt, k)))
    return out
