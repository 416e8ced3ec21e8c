"""Ranking metrics as pure, vectorized functions.

Input format (shared by every function here)
--------------------------------------------
``y_true`` : array-like or scipy sparse of shape (n_users, n_items)
    Relevance of each item for each user: > 0 means relevant (binary gains
    by default; the value itself is the gain with ``gains="graded"``).
``y_score`` : array-like of shape (n_users, n_items)
    The model's scores. ``-inf`` marks an *excluded* item (for example one
    the user already interacted with): it is never recommended and it does
    not count as relevant either, exactly as the scorers treat training
    items.

Each user's list is the ``k`` highest-scoring items; equal scores are
ordered by column index (lower first), as :meth:`recommend` does. Metrics
are macro-averaged over users with at least one relevant (non-excluded)
item; when no user has one, the result is NaN with an
:class:`~sklearn.exceptions.UndefinedMetricWarning`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

from ..utils.validation import check_k
from . import _kernels as K

#: Rows densified at once by the metric functions (bounds memory).
_CELLS_PER_CHUNK = 2**22


def _check_matrices(y_true, y_score, *, need_true=True):
    if sp.issparse(y_score):
        raise TypeError(
            "y_score must be a dense array of scores (sparse zeros would read as real "
            "scores); use -inf for excluded items and pass y_score.toarray()."
        )
    score = np.asarray(y_score, dtype=np.float64)
    if score.ndim != 2:
        raise ValueError(
            f"y_score must be 2-D of shape (n_users, n_items), got shape {score.shape}."
        )
    if np.isnan(score).any() or np.isposinf(score).any():
        raise ValueError("y_score contains NaN or +inf; only -inf (excluded item) is allowed.")
    if not need_true:
        return None, score
    if sp.issparse(y_true):
        true = sp.csr_array(y_true, dtype=np.float64)
        data = true.data
    else:
        true = np.asarray(y_true, dtype=np.float64)
        data = true
    if true.shape != score.shape:
        raise ValueError(
            f"y_true and y_score must have the same shape (n_users, n_items); got "
            f"{true.shape} and {score.shape}."
        )
    if not np.isfinite(data).all() or (data < 0).any():
        raise ValueError("y_true must hold finite, non-negative relevance values.")
    return true, score


def _chunks(n_rows, n_cols):
    step = max(1, _CELLS_PER_CHUNK // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(n_rows, start + step))


def _dense_rows(true, sl):
    part = true[sl]
    return part.toarray() if sp.issparse(part) else np.asarray(part)


def _topk_columns(score, k):
    """Columns of the top ``k`` scores per row, ties broken by column index.

    Returns ``cols`` of shape (n_rows, min(k, n_cols)) best first, and
    ``valid`` (the slot's score is finite).
    """
    n, m = score.shape
    kk = min(k, m)
    if kk == 0 or n == 0:
        return np.empty((n, kk), dtype=np.int64), np.empty((n, kk), dtype=bool)
    if kk < m:
        thr = -np.partition(-score, kk - 1, axis=1)[:, kk - 1 : kk]
        greater = score > thr
        equal = score == thr
        room = kk - greater.sum(axis=1, keepdims=True)
        chosen = greater | (equal & (np.cumsum(equal, axis=1) <= room))
        cols = np.nonzero(chosen)[1].reshape(n, kk)
    else:
        cols = np.broadcast_to(np.arange(m), (n, m))
    vals = np.take_along_axis(score, cols, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")  # cols ascending: ties by column
    cols = np.take_along_axis(cols, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    return cols, np.isfinite(vals)


def _hits(true, score, k, gains):
    """(hits, n_relevant, ideal) of every row, computed in bounded chunks."""
    n, m = score.shape
    hits, n_rel, ideal = [], [], []
    for sl in _chunks(n, m):
        t = _dense_rows(true, sl)
        s = score[sl]
        live = np.isfinite(s)
        rel = (t > 0) & live
        cols, valid = _topk_columns(s, k)
        g = np.take_along_axis(t, cols, axis=1)
        g = np.where(valid, g, 0.0)
        if gains == "binary":
            g = (g > 0).astype(np.float64)
        else:
            kk = min(k, m)
            masked = np.where(rel, t, 0.0)
            top = -np.partition(-masked, kk - 1, axis=1)[:, :kk] if kk < m else masked
            ideal.append(-np.sort(-top, axis=1))
        hits.append(g)
        n_rel.append(rel.sum(axis=1))
    hits = np.concatenate(hits) if hits else np.empty((0, min(k, m)))
    n_rel = np.concatenate(n_rel).astype(np.int64) if n_rel else np.empty(0, np.int64)
    ideal = (np.concatenate(ideal) if ideal else np.empty((0, min(k, m)))) if gains != "binary" \
        else None
    return hits, n_rel, ideal


def _check_gains(gains):
    if gains not in ("binary", "graded"):
        raise ValueError(f"gains must be 'binary' or 'graded', got {gains!r}.")


def _metric(name, y_true, y_score, k, **kwargs):
    k = check_k(k)
    true, score = _check_matrices(y_true, y_score)
    hits, n_rel, _ = _hits(true, score, k, "binary")
    return K.mean_over_users(K.KERNELS[name](hits, n_rel, k, **kwargs), name)


def ndcg_at_k(y_true, y_score, k=10, *, gains="binary"):
    """Normalized discounted cumulative gain of the top ``k`` items.

    ``DCG@k = sum_r gain_r / log2(r + 1)`` over ranks ``r = 1..k``, divided
    by the DCG of the ideal list: the user's ``min(k, |relevant|)`` best
    gains in decreasing order. So NDCG lies in [0, 1] and is 1 exactly for
    a list that puts the best items first.

    Parameters
    ----------
    y_true : array-like or sparse of shape (n_users, n_items)
        Relevance; > 0 is relevant (see the module notes on the format).
    y_score : array-like of shape (n_users, n_items)
        Scores; ``-inf`` marks an excluded item.
    k : int, default=10
        List length.
    gains : {"binary", "graded"}, default="binary"
        ``"binary"``: every relevant item has gain 1. ``"graded"``: the gain
        is the ``y_true`` value itself (linear gains, as
        :func:`sklearn.metrics.ndcg_score`).

    Returns
    -------
    score : float
        Mean over users with at least one relevant item (NaN, with a
        warning, when there is none).

    See Also
    --------
    sklearn.metrics.ndcg_score : The same formula with tie averaging.

    References
    ----------
    K. Järvelin and J. Kekäläinen, "Cumulated gain-based evaluation of IR
    techniques", ACM TOIS 20(4), 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.metrics import ndcg_at_k
    >>> y_true = np.array([[1, 0, 0, 1]])
    >>> y_score = np.array([[0.9, 0.8, 0.1, 0.2]])
    >>> round(ndcg_at_k(y_true, y_score, k=2), 4)  # hit at rank 1, 2 relevant
    0.6131
    """
    _check_gains(gains)
    k = check_k(k)
    true, score = _check_matrices(y_true, y_score)
    hits, n_rel, ideal = _hits(true, score, k, gains)
    return K.mean_over_users(K.ndcg_kernel(hits, n_rel, k, ideal), "ndcg")


def recall_at_k(y_true, y_score, k=10, *, truncated=False):
    """Fraction of the relevant items found in the top ``k``.

    Parameters
    ----------
    y_true : array-like or sparse of shape (n_users, n_items)
    y_score : array-like of shape (n_users, n_items)
    k : int, default=10
    truncated : bool, default=False
        Divide by ``min(k, |relevant|)`` instead of ``|relevant|`` (the
        variant of Liang et al. 2018, Mult-VAE), so a perfect list scores 1
        even when the user has more than ``k`` relevant items.

    Returns
    -------
    score : float

    References
    ----------
    D. Liang, R. G. Krishnan, M. D. Hoffman and T. Jebara, "Variational
    autoencoders for collaborative filtering", WWW 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.metrics import recall_at_k
    >>> y_true = np.array([[1, 1, 1, 0]])
    >>> y_score = np.array([[0.9, 0.1, 0.2, 0.8]])
    >>> round(recall_at_k(y_true, y_score, k=2), 4)
    0.3333
    >>> recall_at_k(y_true, y_score, k=2, truncated=True)
    0.5
    """
    return _metric("recall", y_true, y_score, k, truncated=bool(truncated))


def precision_at_k(y_true, y_score, k=10):
    """Fraction of the ``k`` slots that hold a relevant item.

    Parameters
    ----------
    y_true : array-like or sparse of shape (n_users, n_items)
    y_score : array-like of shape (n_users, n_items)
    k : int, default=10
        The denominator, even where fewer than ``k`` items could be listed.

    Returns
    -------
    score : float

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.metrics import precision_at_k
    >>> precision_at_k(np.array([[1, 0, 1, 0]]), np.array([[4.0, 3.0, 2.0, 1.0]]), k=2)
    0.5
    """
    return _metric("precision", y_true, y_score, k)


def map_at_k(y_true, y_score, k=10):
    """Mean average precision of the top ``k``.

    ``AP@k = sum_r P@r * rel_r / min(k, |relevant|)``; with ``k`` at least
    the number of items it equals :func:`sklearn.metrics.average_precision_score`.

    Parameters
    ----------
    y_true : array-like or sparse of shape (n_users, n_items)
    y_score : array-like of shape (n_users, n_items)
    k : int, default=10

    Returns
    -------
    score : float

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.metrics import map_at_k
    >>> # hits at ranks 1 and 3: (1/1 + 2/3) / 2
    >>> round(map_at_k(np.array([[1, 0, 1, 0]]), np.array([[4.0, 3.0, 2.0, 1.0]]), k=3), 4)
    0.8333
    """
    return _metric("map", y_true, y_score, k)


def mrr_at_k(y_true, y_score, k=10):
    """Mean reciprocal rank of the first relevant item (0 when none is in the top ``k``).

    Parameters
    ----------
    y_true : array-like or sparse of shape (n_users, n_items)
    y_score : array-like of shape (n_users, n_items)
    k : int, default=10

    Returns
    -------
    score : float

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.metrics import mrr_at_k
    >>> mrr_at_k(np.array([[0, 0, 1, 0]]), np.array([[4.0, 3.0, 2.0, 1.0]]), k=3)
    0.3333...
    """
    return _metric("mrr", y_true, y_score, k)


def hit_rate_at_k(y_true, y_score, k=10):
    """Fraction of users with at least one relevant item in their top ``k``.

    Parameters
    ----------
    y_true : array-like or sparse of shape (n_users, n_items)
    y_score : array-like of shape (n_users, n_items)
    k : int, default=10

    Returns
    -------
    score : float

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.metrics import hit_rate_at_k
    >>> y_true = np.array([[0, 1, 0], [0, 0, 1]])
    >>> y_score = np.array([[3.0, 2.0, 1.0], [3.0, 2.0, 1.0]])
    >>> hit_rate_at_k(y_true, y_score, k=2)
    0.5
    """
    return _metric("hit_rate", y_true, y_score, k)


def auc_score(y_true, y_score):
    """Per-user area under the ROC curve, averaged over users.

    For each user, the probability that a relevant item is scored above a
    non-relevant one (ties count one half), over the non-excluded items.
    Users without a relevant or without a non-relevant item are left out.

    Parameters
    ----------
    y_true : array-like or sparse of shape (n_users, n_items)
    y_score : array-like of shape (n_users, n_items)
        ``-inf`` items are left out of the comparison.

    Returns
    -------
    score : float

    See Also
    --------
    sklearn.metrics.roc_auc_score : The same value for one user.

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.metrics import auc_score
    >>> auc_score(np.array([[1, 0, 1, 0]]), np.array([[0.9, 0.8, 0.1, 0.2]]))
    0.5
    """
    true, score = _check_matrices(y_true, y_score)
    n, m = score.shape
    out = []
    for sl in _chunks(n, m):
        out.append(_auc_rows(_dense_rows(true, sl) > 0, score[sl]))
    values = np.concatenate(out) if out else np.empty(0)
    return K.mean_over_users(values, "auc")


def _auc_rows(rel, score):
    """Per-row AUC of boolean relevance ``rel`` against ``score`` (-inf left out)."""
    live = np.isfinite(score)
    ranks = rankdata(score, axis=1, method="average")  # -inf take the lowest ranks
    n_excluded = (~live).sum(axis=1)
    pos = rel & live
    n_pos = pos.sum(axis=1)
    n_neg = live.sum(axis=1) - n_pos
    rank_sum = np.where(pos, ranks, 0.0).sum(axis=1) - n_pos * n_excluded
    return K.auc_from_ranks(rank_sum, n_pos, n_neg)


def catalog_coverage(y_score, k=10):
    """Fraction of the catalog recommended to at least one user.

    Parameters
    ----------
    y_score : array-like of shape (n_users, n_items)
        Scores; each user's list is their top ``k`` items with a finite
        score.
    k : int, default=10

    Returns
    -------
    coverage : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.metrics import catalog_coverage
    >>> catalog_coverage(np.array([[3.0, 2.0, 1.0, 0.0], [0.0, 2.0, 3.0, 1.0]]), k=2)
    0.75
    """
    k = check_k(k)
    _, score = _check_matrices(None, y_score, need_true=False)
    shown = np.zeros(score.shape[1], dtype=bool)
    for sl in _chunks(*score.shape):
        cols, valid = _topk_columns(score[sl], k)
        shown[cols[valid]] = True
    return float(shown.mean()) if len(shown) else float("nan")


def novelty(y_score, item_popularity, k=10, *, n_users=None):
    """Mean self-information ``-log2 p(i)`` of the recommended items.

    ``p(i)`` is the item's popularity over ``n_users`` (the fraction of
    users who interacted with it, when ``item_popularity`` counts users),
    or over the total popularity when ``n_users`` is None. Rare items are
    novel; an item with popularity 0 counts as popularity 1.

    Parameters
    ----------
    y_score : array-like of shape (n_users, n_items)
    item_popularity : array-like of shape (n_items,)
        Training interactions per item, e.g. a model's ``item_popularity_``.
    k : int, default=10
    n_users : int, default=None
        Number of training users (the denominator of ``p(i)``).

    Returns
    -------
    novelty : float
        Bits, averaged over each list, then over users with a non-empty list.

    References
    ----------
    T. Zhou et al., "Solving the apparent diversity-accuracy dilemma of
    recommender systems", PNAS 107(10), 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.metrics import novelty
    >>> novelty(np.array([[2.0, 1.0, 0.0]]), [4, 2, 1], k=2, n_users=4)  # (0 + 1) / 2
    0.5
    """
    k = check_k(k)
    _, score = _check_matrices(None, y_score, need_true=False)
    info = K.self_information(item_popularity, n_users)
    if len(info) != score.shape[1]:
        raise ValueError(
            f"item_popularity has {len(info)} entries for {score.shape[1]} items (y_score "
            "columns)."
        )
    values = [K.novelty_kernel(*_topk_columns(score[sl], k), info)
              for sl in _chunks(*score.shape)]
    return K.mean_over_users(np.concatenate(values) if values else [], "novelty")


def intra_list_diversity(y_score, item_features, k=10):
    """Mean pairwise cosine distance between the items of each top-``k`` list.

    Parameters
    ----------
    y_score : array-like of shape (n_users, n_items)
    item_features : array-like of shape (n_items, n_features)
        Numeric item descriptions (one-hot genres, embeddings, ...), row
        ``j`` for column ``j`` of ``y_score``.
    k : int, default=10

    Returns
    -------
    diversity : float in [0, 2]
        ``1 - cos(f_i, f_j)`` averaged over the pairs of each list, then over
        users whose list has at least two items (an all-zero feature row is
        at distance 1 from everything).

    References
    ----------
    C.-N. Ziegler et al., "Improving recommendation lists through topic
    diversification", WWW 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.metrics import intra_list_diversity
    >>> features = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> intra_list_diversity(np.array([[3.0, 2.0, 1.0]]), features, k=2)  # same genre
    0.0
    >>> intra_list_diversity(np.array([[3.0, 1.0, 2.0]]), features, k=2)  # orthogonal
    1.0
    """
    k = check_k(k)
    _, score = _check_matrices(None, y_score, need_true=False)
    feats = item_features.toarray() if sp.issparse(item_features) else item_features
    feats = np.asarray(feats, dtype=np.float64)
    if feats.ndim != 2 or feats.shape[0] != score.shape[1]:
        raise ValueError(
            f"item_features must have shape (n_items, n_features) = ({score.shape[1]}, ...), "
            f"got {feats.shape}."
        )
    if not np.isfinite(feats).all():
        raise ValueError("item_features contains NaN or inf.")
    norms = np.linalg.norm(feats, axis=1, keepdims=True)
    unit = np.divide(feats, norms, out=np.zeros_like(feats), where=norms > 0)
    values = []
    for sl in _chunks(*score.shape):
        cols, valid = _topk_columns(score[sl], k)
        f = unit[cols] * valid[..., None]
        sim = np.einsum("nid,njd->nij", f, f)
        n_valid = valid.sum(axis=1)
        pair_sim = sim.sum(axis=(1, 2)) - np.einsum("nii->n", sim)
        n_pairs = n_valid * (n_valid - 1)
        values.append(1.0 - K._safe_divide(pair_sim, n_pairs))
    return K.mean_over_users(np.concatenate(values) if values else [], "intra_list_diversity")
