"""Ranking metric functions: hand-computed cases, properties, scikit-learn oracles."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import average_precision_score, ndcg_score, roc_auc_score

from skrec.metrics import (
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

INF = -np.inf
L2 = 1 / math.log2(3)  # discount of rank 2
L3 = 0.5  # discount of rank 3
L4 = 1 / math.log2(5)

TOPK = {
    "ndcg": ndcg_at_k,
    "recall": recall_at_k,
    "precision": precision_at_k,
    "map": map_at_k,
    "mrr": mrr_at_k,
    "hit_rate": hit_rate_at_k,
}


# ---------------------------------------------------------------- hand-computed
def test_ndcg_hand_computed():
    y_true = np.array([[1, 0, 0, 1]])
    y_score = np.array([[0.9, 0.8, 0.1, 0.2]])
    # ranking: 0 (hit), 1, 3 (hit), 2
    assert ndcg_at_k(y_true, y_score, k=1) == pytest.approx(1.0)
    assert ndcg_at_k(y_true, y_score, k=2) == pytest.approx(1 / (1 + L2))
    assert ndcg_at_k(y_true, y_score, k=3) == pytest.approx((1 + L3) / (1 + L2))
    assert ndcg_at_k(y_true, y_score, k=4) == pytest.approx((1 + L3) / (1 + L2))


def test_graded_ndcg_hand_computed():
    y_true = np.array([[3, 2, 0, 1]])
    y_score = np.array([[0.1, 0.9, 0.5, 0.3]])
    # list at k=3: item 1 (gain 2), item 2 (0), item 3 (1); ideal 3, 2, 1
    expected = (2 + 1 * L3) / (3 + 2 * L2 + 1 * L3)
    assert ndcg_at_k(y_true, y_score, k=3, gains="graded") == pytest.approx(expected)
    assert ndcg_at_k(y_true, y_score, k=3, gains="graded") == pytest.approx(
        ndcg_score(y_true, y_score, k=3)
    )
    # binary gains: hits at ranks 1 and 3 out of 3 relevant
    assert ndcg_at_k(y_true, y_score, k=3) == pytest.approx((1 + L3) / (1 + L2 + L3))


def test_all_metrics_hand_computed():
    # ranking 0..5 by score; relevant items 0, 2 and 5
    y_true = np.array([[1, 0, 1, 0, 0, 1]])
    y_score = np.array([[6.0, 5, 4, 3, 2, 1]])
    k = 3
    assert recall_at_k(y_true, y_score, k) == pytest.approx(2 / 3)
    assert recall_at_k(y_true, y_score, 2, truncated=True) == pytest.approx(1 / 2)
    assert precision_at_k(y_true, y_score, k) == pytest.approx(2 / 3)
    assert map_at_k(y_true, y_score, k) == pytest.approx((1 + 2 / 3) / 3)
    assert mrr_at_k(y_true, y_score, k) == pytest.approx(1.0)
    assert hit_rate_at_k(y_true, y_score, k) == pytest.approx(1.0)
    assert ndcg_at_k(y_true, y_score, k) == pytest.approx((1 + L3) / (1 + L2 + L3))
    # pairs (relevant, non-relevant) ordered right: item 0 beats 3, item 2 beats 2 -> 5/9
    assert auc_score(y_true, y_score) == pytest.approx(5 / 9)


def test_fewer_relevant_than_k():
    y_true = np.array([[0, 1, 0, 0, 0, 0]])
    y_score = np.array([[1.0, 9, 3, 4, 5, 6]])
    assert ndcg_at_k(y_true, y_score, k=5) == pytest.approx(1.0)
    assert recall_at_k(y_true, y_score, k=5) == pytest.approx(1.0)
    assert map_at_k(y_true, y_score, k=5) == pytest.approx(1.0)
    assert precision_at_k(y_true, y_score, k=5) == pytest.approx(0.2)
    # k larger than the catalog: precision still divides by k
    assert precision_at_k(y_true, y_score, k=10) == pytest.approx(0.1)
    assert ndcg_at_k(y_true, y_score, k=10) == pytest.approx(1.0)


def test_more_relevant_than_k_truncated_recall_and_map():
    y_true = np.ones((1, 5))
    y_score = np.array([[5.0, 4, 3, 2, 1]])
    assert recall_at_k(y_true, y_score, k=2) == pytest.approx(0.4)
    assert recall_at_k(y_true, y_score, k=2, truncated=True) == pytest.approx(1.0)
    assert map_at_k(y_true, y_score, k=2) == pytest.approx(1.0)
    y_true = np.array([[0, 1, 1, 1, 0]])
    assert map_at_k(y_true, y_score, k=2) == pytest.approx(0.5 / 2)


def test_users_without_relevant_items_are_excluded():
    y_true = np.array([[0, 0, 1, 0], [0, 0, 0, 0]])
    y_score = np.array([[4.0, 3, 2, 1], [4.0, 3, 2, 1]])
    assert mrr_at_k(y_true, y_score, k=3) == pytest.approx(1 / 3)
    assert ndcg_at_k(y_true, y_score, k=3) == pytest.approx(L3)
    assert hit_rate_at_k(y_true, y_score, k=2) == 0.0


def test_no_relevant_item_at_all_warns_and_returns_nan():
    for fn in TOPK.values():
        with pytest.warns(UndefinedMetricWarning, match="no user has a relevant item"):
            assert np.isnan(fn(np.zeros((2, 3)), np.ones((2, 3)), k=2))
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(auc_score(np.zeros((2, 3)), np.ones((2, 3))))


def test_ties_are_broken_by_column_index():
    y_true = np.array([[0, 0, 1, 0]])
    y_score = np.ones((1, 4))
    assert hit_rate_at_k(y_true, y_score, k=2) == 0.0
    assert ndcg_at_k(y_true, y_score, k=3) == pytest.approx(L3)
    assert mrr_at_k(y_true, y_score, k=3) == pytest.approx(1 / 3)
    # a tie at the boundary: items 1, 2, 3 tie below item 0; k=2 keeps item 1
    y_score = np.array([[5.0, 1, 1, 1]])
    assert hit_rate_at_k(y_true, y_score, k=2) == 0.0
    assert hit_rate_at_k(y_true, y_score, k=3) == 1.0
    # auc counts ties one half
    assert auc_score(np.array([[1, 0, 0]]), np.array([[1.0, 1, 0]])) == pytest.approx(0.75)


def test_minus_inf_excludes_items_from_list_and_relevance():
    # item 0 is excluded: neither recommended nor relevant
    y_true = np.array([[1, 0, 0, 1]])
    y_score = np.array([[INF, INF, 1.0, 0.0]])
    assert ndcg_at_k(y_true, y_score, k=2) == pytest.approx(L2)
    assert recall_at_k(y_true, y_score, k=2) == pytest.approx(1.0)
    # padding slots (-inf in the top k) are never hits
    y_true = np.array([[1, 1, 0]])
    y_score = np.array([[INF, 2.0, INF]])
    assert precision_at_k(y_true, y_score, k=3) == pytest.approx(1 / 3)
    assert recall_at_k(y_true, y_score, k=3) == pytest.approx(1.0)
    # only excluded relevant items: the user is left out
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(ndcg_at_k(np.array([[0, 1, 1]]), np.array([[2.0, INF, INF]]), k=3))
    # auc leaves excluded items out of the comparison
    assert auc_score(np.array([[1, 0, 0]]), np.array([[1.0, INF, 0.0]])) == 1.0
    assert auc_score(np.array([[0, 1, 1]]), np.array([[1.0, INF, 2.0]])) == 1.0


def test_auc_hand_computed_and_users_without_negatives():
    y_true = np.array([[1, 0, 1, 0], [1, 1, 1, 1]])
    y_score = np.array([[0.9, 0.8, 0.1, 0.2], [1.0, 2.0, 3.0, 4.0]])
    assert auc_score(y_true, y_score) == pytest.approx(0.5)  # second user has no negative


def test_sparse_y_true_matches_dense():
    rng = np.random.default_rng(0)
    y_true = (rng.random((30, 12)) < 0.3) * rng.integers(1, 5, (30, 12))
    y_score = rng.random((30, 12))
    y_score[rng.random((30, 12)) < 0.1] = INF
    for name, fn in TOPK.items():
        assert fn(sp.csr_array(y_true), y_score, k=4) == pytest.approx(
            fn(y_true, y_score, k=4)
        ), name
    assert auc_score(sp.csr_matrix(y_true), y_score) == pytest.approx(auc_score(y_true, y_score))
    assert ndcg_at_k(sp.csr_array(y_true), y_score, 4, gains="graded") == pytest.approx(
        ndcg_at_k(y_true, y_score, 4, gains="graded")
    )


def test_beyond_accuracy_hand_computed():
    y_score = np.array([[3.0, 2.0, INF, INF], [INF, INF, INF, 1.0]])
    assert catalog_coverage(y_score, k=3) == pytest.approx(3 / 4)  # -inf slots do not count
    # p = pop / n_users: items 0, 1, 3 -> 1/2, 1/4, 1/8 -> 1, 2, 3 bits
    assert novelty(y_score, [4, 2, 8, 1], k=2, n_users=8) == pytest.approx(((1 + 2) / 2 + 3) / 2)
    feats = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
    # lists: {0, 1} distance 1; second user has one item: left out
    assert intra_list_diversity(y_score, feats, k=3) == pytest.approx(1.0)
    y_score = np.array([[3.0, 0.0, 2.0, 1.0]])
    # list 0, 2, 3: cos(0,2)=1/sqrt2, cos(0,3)=1, cos(2,3)=1/sqrt2
    expected = 1 - (2 / math.sqrt(2) + 1) / 3
    assert intra_list_diversity(y_score, feats, k=3) == pytest.approx(expected)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: ndcg_at_k(np.ones((2, 3)), np.ones((2, 3)), k=0), ValueError, "positive"),
        (lambda: recall_at_k(np.ones((2, 3)), np.ones((2, 3)), k=-2), ValueError, "positive"),
        (lambda: map_at_k(np.ones((2, 3)), np.ones((2, 3)), k=2.5), TypeError, "integer"),
        (lambda: ndcg_at_k(np.ones((2, 3)), np.ones((2, 4))), ValueError, "same shape"),
        (lambda: ndcg_at_k(np.ones((2, 3)), np.full((2, 3), np.nan)), ValueError, "NaN"),
        (lambda: ndcg_at_k(np.ones((2, 3)), np.full((2, 3), np.inf)), ValueError, r"\+inf"),
        (lambda: ndcg_at_k(-np.ones((2, 3)), np.ones((2, 3))), ValueError, "non-negative"),
        (lambda: ndcg_at_k(np.ones(3), np.ones(3)), ValueError, "2-D"),
        (lambda: ndcg_at_k(np.ones((2, 3)), sp.csr_array(np.ones((2, 3)))), TypeError, "dense"),
        (lambda: ndcg_at_k(np.ones((2, 3)), np.ones((2, 3)), gains="exp"), ValueError, "gains"),
        (lambda: novelty(np.ones((2, 3)), [1, 2]), ValueError, "item_popularity"),
        (lambda: intra_list_diversity(np.ones((2, 3)), np.ones((2, 2))), ValueError, "shape"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ properties
@st.composite
def problems(draw, tie_free=True):
    """A random (y_true, y_score, k) with distinct scores (a seeded numpy draw)."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_users = draw(st.integers(1, 8))
    n_items = draw(st.integers(2, 15))
    k = draw(st.integers(1, n_items + 2))
    rng = np.random.default_rng(seed)
    density = rng.uniform(0.05, 0.9)
    y_true = (rng.random((n_users, n_items)) < density) * rng.integers(1, 5, (n_users, n_items))
    y_score = rng.permutation(n_users * n_items).reshape(n_users, n_items) / 7.0
    if not tie_free:
        y_score = np.round(y_score / 3)
    return y_true.astype(float), y_score, k


def _users_with_relevant(y_true):
    return (y_true > 0).any(axis=1)


@settings(max_examples=60, deadline=None)
@given(problems(tie_free=False))
def test_values_in_unit_interval(problem):
    y_true, y_score, k = problem
    if not _users_with_relevant(y_true).any():
        return
    for name, fn in TOPK.items():
        value = fn(y_true, y_score, k=k)
        assert 0.0 <= value <= 1.0 + 1e-12, name
    assert 0.0 <= ndcg_at_k(y_true, y_score, k, gains="graded") <= 1.0 + 1e-12
    assert 0.0 <= recall_at_k(y_true, y_score, k, truncated=True) <= 1.0 + 1e-12
    assert 0.0 <= catalog_coverage(y_score, k) <= 1.0


@settings(max_examples=60, deadline=None)
@given(problems())
def test_perfect_ranking_scores_one(problem):
    y_true, _, k = problem
    if not _users_with_relevant(y_true).any():
        return
    # relevant items first, in decreasing gain; ties in gain broken arbitrarily
    perfect = y_true + np.random.default_rng(0).random(y_true.shape) * 0.5
    for name in ("ndcg", "map", "mrr", "hit_rate"):
        assert TOPK[name](y_true, perfect, k=k) == pytest.approx(1.0), name
    assert ndcg_at_k(y_true, perfect, k, gains="graded") == pytest.approx(1.0)
    assert recall_at_k(y_true, perfect, k, truncated=True) == pytest.approx(1.0)
    rows = _users_with_relevant(y_true) & ~(y_true > 0).all(axis=1)
    if rows.any():
        assert auc_score(y_true[rows], perfect[rows]) == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(problems(tie_free=False))
def test_recall_and_hit_rate_monotone_in_k(problem):
    y_true, y_score, _ = problem
    if not _users_with_relevant(y_true).any():
        return
    n_items = y_true.shape[1]
    recalls = [recall_at_k(y_true, y_score, k) for k in range(1, n_items + 1)]
    hits = [hit_rate_at_k(y_true, y_score, k) for k in range(1, n_items + 1)]
    assert np.all(np.diff(recalls) >= -1e-12)
    assert np.all(np.diff(hits) >= -1e-12)
    assert recalls[-1] == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_agrees_with_sklearn_ndcg_score(problem):
    y_true, y_score, k = problem
    rows = _users_with_relevant(y_true)
    if not rows.any() or y_true.shape[1] < 2:
        return
    t, s = y_true[rows], y_score[rows]
    binary = (t > 0).astype(float)
    assert ndcg_at_k(t, s, k) == pytest.approx(ndcg_score(binary, s, k=k))
    assert ndcg_at_k(t, s, k, gains="graded") == pytest.approx(ndcg_score(t, s, k=k))


@settings(max_examples=60, deadline=None)
@given(problems())
def test_agrees_with_sklearn_auc_and_average_precision(problem):
    y_true, y_score, _ = problem
    rel = y_true > 0
    rows = rel.any(axis=1) & ~rel.all(axis=1)
    if not rows.any():
        return
    pairs = list(zip(rel[rows], y_score[rows], strict=True))
    expected_auc = np.mean([roc_auc_score(r, s) for r, s in pairs])
    assert auc_score(y_true[rows], y_score[rows]) == pytest.approx(expected_auc)
    expected_ap = np.mean(
        [average_precision_score(r, s) for r, s in pairs]
    )
    assert map_at_k(y_true[rows], y_score[rows], k=y_true.shape[1]) == pytest.approx(expected_ap)


@settings(max_examples=30, deadline=None)
@given(problems(tie_free=False))
def test_independent_of_chunk_size(problem):
    import skrec.metrics._ranking as R

    y_true, y_score, k = problem
    if not _users_with_relevant(y_true).any():
        return
    whole = [fn(y_true, y_score, k) for fn in TOPK.values()]
    old = R._CELLS_PER_CHUNK
    try:
        R._CELLS_PER_CHUNK = 1  # one user per chunk
        chunked = [fn(y_true, y_score, k) for fn in TOPK.values()]
    finally:
        R._CELLS_PER_CHUNK = old
    assert chunked == pytest.approx(whole)
