"""One implementation of each ranking formula, on the hits of top-k lists.

Both the public metric functions (which start from a relevance matrix and a
score matrix) and the scorers (which start from :meth:`recommend` lists)
reduce their input to the same three arrays and call these kernels:

``hits`` : ndarray of float64, shape (n_lists, width)
    Gain of the item at each rank (0 for a miss, an excluded or a padding
    slot; 1 for a relevant item with binary gains). ``width <= k``.
``n_relevant`` : ndarray of int64, shape (n_lists,)
    Number of relevant items of each list's user (the denominators).
``ideal`` : ndarray of float64, shape (n_lists, <= k), or None
    Graded gains only: the user's largest gains sorted in decreasing order
    (the ideal list); None means binary gains.

Each kernel returns one value per list; lists whose user has no relevant
item get NaN and are left out of the average by :func:`_mean_over_users`.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning


def _discounts(width):
    return 1.0 / np.log2(np.arange(2, width + 2, dtype=np.float64))


def _safe_divide(num, den):
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def ndcg_kernel(hits, n_relevant, k, ideal=None):
    """DCG of the list over the ideal DCG of ``min(k, |relevant|)`` items."""
    dcg = hits @ _discounts(hits.shape[1]) if hits.shape[1] else np.zeros(len(hits))
    if ideal is None:
        cum = np.concatenate([[0.0], np.cumsum(_discounts(k))])
        idcg = cum[np.minimum(n_relevant, k)]
    else:
        idcg = ideal @ _discounts(ideal.shape[1]) if ideal.shape[1] else np.zeros(len(hits))
        idcg = np.where(n_relevant > 0, idcg, 0.0)
    return _safe_divide(dcg, idcg)


def recall_kernel(hits, n_relevant, k, truncated=False):
    """Hits over ``|relevant|`` (or ``min(k, |relevant|)`` when truncated)."""
    n_hits = (hits > 0).sum(axis=1)
    den = np.minimum(n_relevant, k) if truncated else n_relevant
    return _safe_divide(n_hits, den)


def precision_kernel(hits, n_relevant, k):
    """Hits over ``k``."""
    n_hits = (hits > 0).sum(axis=1).astype(np.float64)
    return np.where(n_relevant > 0, n_hits / k, np.nan)


def average_precision_kernel(hits, n_relevant, k):
    """Sum of precision@i at each hit, over ``min(k, |relevant|)``."""
    rel = hits > 0
    prec = np.cumsum(rel, axis=1) / np.arange(1, rel.shape[1] + 1)
    return _safe_divide((prec * rel).sum(axis=1), np.minimum(n_relevant, k))


def reciprocal_rank_kernel(hits, n_relevant, k):
    """1 / rank of the first hit in the top ``k`` (0 without a hit)."""
    rel = hits > 0
    any_hit = rel.any(axis=1)
    first = np.argmax(rel, axis=1)
    rr = np.where(any_hit, 1.0 / (first + 1.0), 0.0)
    return np.where(n_relevant > 0, rr, np.nan)


def hit_rate_kernel(hits, n_relevant, k):
    """1 when at least one relevant item is in the top ``k``."""
    hit = (hits > 0).any(axis=1).astype(np.float64)
    return np.where(n_relevant > 0, hit, np.nan)


def auc_from_ranks(pos_rank_sum, n_pos, n_neg):
    """Mann-Whitney AUC from the sum of the positives' (average-tie) ranks."""
    num = pos_rank_sum - n_pos * (n_pos + 1) / 2.0
    return _safe_divide(num, n_pos * n_neg.astype(np.float64))


def coverage_kernel(codes, valid, n_items):
    """Fraction of the ``n_items`` catalog that appears in at least one list."""
    if n_items <= 0:
        return float("nan")
    shown = np.zeros(n_items, dtype=bool)
    shown[codes[valid]] = True
    return float(shown.mean())


def novelty_kernel(codes, valid, self_information):
    """Mean self-information of the recommended items of each list."""
    info = np.where(valid, self_information[codes], 0.0)
    return _safe_divide(info.sum(axis=1), valid.sum(axis=1))


def self_information(item_popularity, n_users=None):
    """``-log2 p(i)``; ``p(i)`` is popularity over ``n_users`` (or over the total)."""
    pop = np.asarray(item_popularity, dtype=np.float64)
    if pop.ndim != 1 or np.any(~np.isfinite(pop)) or np.any(pop < 0):
        raise ValueError("item_popularity must be a 1-D array of finite non-negative counts.")
    total = float(pop.sum()) if n_users is None else float(n_users)
    if total <= 0:
        raise ValueError("item_popularity sums to 0 (or n_users <= 0): novelty is undefined.")
    # An item nobody interacted with gets the self-information of one interaction.
    p = np.clip(np.maximum(pop, 1.0) / total, None, 1.0)
    return -np.log2(p)


KERNELS = {
    "ndcg": ndcg_kernel,
    "recall": recall_kernel,
    "truncated_recall": lambda h, n, k: recall_kernel(h, n, k, truncated=True),
    "precision": precision_kernel,
    "map": average_precision_kernel,
    "mrr": reciprocal_rank_kernel,
    "hit_rate": hit_rate_kernel,
}


def mean_over_users(values, name):
    """Mean of the finite per-user values; NaN with a warning when there are none."""
    values = np.asarray(values, dtype=np.float64)
    ok = ~np.isnan(values)
    if not ok.any():
        warnings.warn(
            f"{name}: no user has a relevant item, so the metric is undefined and NaN is "
            "returned. Check the test data (and relevance_threshold, if set). Scoring the "
            "training rows (a train score in validation_curve or learning_curve)? Every "
            "training item is in H(u) and excluded: use exclude_seen=False for a train score.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return float("nan")
    return float(values[ok].mean())
