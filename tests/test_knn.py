"""Known-answer and behaviour tests for ItemKNN and UserKNN."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.neighbors import ItemKNN, UserKNN, _knn

# The tiny matrix used by the known-answer tests (users x items):
#   u0: i0 i1      |U_i0| = 2, |U_i1| = 3, |U_i2| = 3
#   u1: i0 i1 i2   co-occurrences: (i0, i1) = 2, (i0, i2) = 1, (i1, i2) = 2
#   u2:    i1 i2
#   u3:       i2
TINY = pd.DataFrame({"user": [0, 0, 1, 1, 1, 2, 2, 3], "item": [0, 1, 0, 1, 2, 1, 2, 2]})
R6 = np.sqrt(6.0)


def _sim(model):
    return model.similarity_.toarray()


# ----------------------------------------------------------- ItemKNN maths
def test_item_cosine_known_answer():
    model = ItemKNN(n_neighbors=None, similarity="cosine", shrinkage=0.0).fit(TINY)
    expected = np.array(
        [[0, 2 / R6, 1 / R6], [2 / R6, 0, 2 / 3], [1 / R6, 2 / 3, 0]]
    )
    np.testing.assert_allclose(_sim(model), expected)
    # u0 = {i0, i1}: score_j = S[i0, j] + S[i1, j].
    np.testing.assert_allclose(
        model.score_items([0])[0], [2 / R6, 2 / R6, 1 / R6 + 2 / 3]
    )


def test_item_asymmetric_known_answer():
    # a = 1: S[i, j] = |U_i & U_j| / |U_i|, the share of i's users who also have j.
    model = ItemKNN(n_neighbors=None, shrinkage=0.0, similarity="asymmetric",
                    asymmetry=1.0).fit(TINY)
    expected = np.array([[0, 1, 1 / 2], [2 / 3, 0, 2 / 3], [1 / 3, 2 / 3, 0]])
    np.testing.assert_allclose(_sim(model), expected)
    # a = 0 divides by the candidate's count instead: the transpose.
    rev = ItemKNN(n_neighbors=None, shrinkage=0.0, similarity="asymmetric",
                  asymmetry=0.0).fit(TINY)
    np.testing.assert_allclose(_sim(rev), expected.T)
    # a = 1/2 is the cosine.
    half = ItemKNN(n_neighbors=None, shrinkage=0.0, similarity="asymmetric",
                   asymmetry=0.5).fit(TINY)
    cosine = ItemKNN(n_neighbors=None, shrinkage=0.0, similarity="cosine").fit(TINY)
    np.testing.assert_allclose(_sim(half), _sim(cosine))


def test_item_shrinkage_known_answer():
    model = ItemKNN(n_neighbors=None, shrinkage=1.0, similarity="cosine").fit(TINY)
    expected = np.array(
        [[0, 2 / (R6 + 1), 1 / (R6 + 1)], [2 / (R6 + 1), 0, 2 / 4], [1 / (R6 + 1), 2 / 4, 0]]
    )
    np.testing.assert_allclose(_sim(model), expected)
    asym = ItemKNN(n_neighbors=None, shrinkage=2.0, similarity="asymmetric", asymmetry=1.0)
    expected = np.array([[0, 2 / 4, 1 / 4], [2 / 5, 0, 2 / 5], [1 / 5, 2 / 5, 0]])
    np.testing.assert_allclose(_sim(asym.fit(TINY)), expected)


def test_item_pruning_keeps_top_per_candidate():
    # One neighbour per candidate column: col 0 keeps i1 (2/sqrt6 > 1/sqrt6),
    # col 1 keeps i0 (2/sqrt6 > 2/3), col 2 keeps i1 (2/3 > 1/sqrt6).
    model = ItemKNN(n_neighbors=1, shrinkage=0.0, similarity="cosine").fit(TINY)
    expected = np.array([[0, 2 / R6, 0], [2 / R6, 0, 2 / 3], [0, 0, 0]])
    np.testing.assert_allclose(_sim(model), expected)
    np.testing.assert_allclose(model.score_items([0])[0], [2 / R6, 2 / R6, 2 / 3])
    np.testing.assert_allclose(model.score_items([3])[0], [0, 0, 0])


def test_item_pruning_keeps_ties():
    # cos(i0, i1) = cos(i0, i2) = 1 / sqrt(2): both stay with n_neighbors=1.
    X = pd.DataFrame({"user": [0, 0, 1, 1], "item": [0, 1, 0, 2]})
    model = ItemKNN(n_neighbors=1, shrinkage=0.0, similarity="cosine").fit(X)
    np.testing.assert_allclose(_sim(model)[:, 0], [0, 1 / np.sqrt(2), 1 / np.sqrt(2)])


def test_item_values_when_not_binarized():
    X = pd.DataFrame({"user": [0, 0, 1, 1], "item": [0, 1, 0, 1]})
    y = np.array([2.0, 1.0, 1.0, 3.0])
    model = ItemKNN(binarize=False, shrinkage=0.0, similarity="cosine").fit(X, y)
    # <r0, r1> = 2*1 + 1*3 = 5, |r0|^2 = 5, |r1|^2 = 10.
    c = 5 / np.sqrt(50)
    np.testing.assert_allclose(_sim(model), [[0, c], [c, 0]])
    # History weights: u0 = (2, 1) -> (1 * c, 2 * c).
    np.testing.assert_allclose(model.score_items([0])[0], [c, 2 * c])
    binary = ItemKNN(similarity="cosine", shrinkage=0.0).fit(X, y)
    np.testing.assert_allclose(_sim(binary), [[0, 1], [1, 0]])


def test_item_blocks_give_the_same_similarity(monkeypatch):
    data = make_interactions(n_users=60, n_items=40, random_state=0)
    ref = ItemKNN(n_neighbors=7, shrinkage=2.0).fit(data.X)
    monkeypatch.setattr(_knn, "_ENTRIES_PER_BLOCK", 3 * 40)  # blocks of 3 candidate items
    blocked = ItemKNN(n_neighbors=7, shrinkage=2.0).fit(data.X)
    np.testing.assert_allclose(_sim(blocked), _sim(ref))
    assert (np.diff(ref.similarity_.tocsc().indptr) >= 7).sum() > 0


def test_item_predict_matches_score_items():
    data = make_interactions(n_users=40, n_items=30, random_state=0)
    model = ItemKNN(n_neighbors=5, shrinkage=1.0).fit(data.X)
    X = data.X.head(50)
    full = model.score_items(model.user_ids_)
    u = pd.Index(model.user_ids_).get_indexer(X["user"])
    i = pd.Index(model.item_ids_).get_indexer(X["item"])
    np.testing.assert_allclose(model.predict(X), full[u, i])


def test_item_fold_in_equals_known_user():
    data = make_interactions(n_users=40, n_items=30, random_state=0)
    model = ItemKNN(n_neighbors=5, shrinkage=1.0).fit(data.X)
    u0 = model.user_ids_[3]
    rows = data.X[data.X["user"] == u0]
    hist = pd.DataFrame({"user": "__new__", "item": rows["item"].to_numpy()})
    new = model.score_items(["__new__"], history=hist, on_unknown="error")
    np.testing.assert_allclose(new, model.score_items([u0]))
    items_new, _ = model.recommend(["__new__"], k=5, history=hist)
    items_old, _ = model.recommend([u0], k=5)
    np.testing.assert_array_equal(items_new, items_old)


# ----------------------------------------------------------- UserKNN maths
def test_user_cosine_excludes_self():
    # u0 = {i0, i1}: cos(u0, u1) = 2 / sqrt(6), cos(u0, u2) = 1/2, cos(u0, u3) = 0.
    # Counting u0 itself (cos = 1) would add (1, 1, 0).
    model = UserKNN(n_neighbors=None).fit(TINY)
    a, b = 2 / R6, 1 / 2
    np.testing.assert_allclose(model.score_items([0])[0], [a, a + b, a + b])
    # One neighbour: only u1 (items i0, i1, i2) votes.
    one = UserKNN(n_neighbors=1).fit(TINY)
    np.testing.assert_allclose(one.score_items([0])[0], [a, a, a])


def test_user_asymmetric_and_shrinkage():
    # u3 = {i2} (|I| = 1); neighbours u1 (|I| = 3, 1 common), u2 (|I| = 2, 1 common).
    model = UserKNN(n_neighbors=None, similarity="asymmetric", asymmetry=0.0, shrinkage=1.0)
    model.fit(TINY)
    s1, s2 = 1 / (3 + 1), 1 / (2 + 1)  # divided by the neighbour's count + shrinkage
    np.testing.assert_allclose(model.score_items([3])[0], [s1, s1 + s2, s1 + s2])


def test_user_fold_in_matches_model_without_that_user():
    data = make_interactions(n_users=40, n_items=30, random_state=0)
    X = data.X[["user", "item"]]
    u0 = 5
    full = UserKNN(n_neighbors=6).fit(X)
    rest = UserKNN(n_neighbors=6).fit(X[X["user"] != u0])
    assert set(rest.item_ids_) == set(full.item_ids_)
    hist = pd.DataFrame({"user": "__new__", "item": X.loc[X["user"] == u0, "item"].to_numpy()})
    new = rest.score_items(["__new__"], rest.item_ids_, history=hist, on_unknown="error")
    known = full.score_items([u0], rest.item_ids_)
    np.testing.assert_allclose(new, known)


# ------------------------------------------------------ quality vs Popularity
def _ndcg_at_k(ranked, relevant, k=10):
    """Binary NDCG@k of one ranked list; ideal DCG over min(k, |relevant|)."""
    gains = np.array([item in relevant for item in ranked[:k]], dtype=float)
    dcg = (gains / np.log2(np.arange(2, len(gains) + 2))).sum()
    ideal = (1.0 / np.log2(np.arange(2, min(k, len(relevant)) + 2))).sum()
    return dcg / ideal


def test_ndcg_helper_hand_checked():
    # b at rank 2 among 2 relevant items: (1/log2 3) / (1 + 1/log2 3).
    assert _ndcg_at_k(["a", "b", "c"], {"b", "d"}) == pytest.approx(0.6309 / 1.6309, abs=1e-4)
    assert _ndcg_at_k(["b", "d", "c"], {"b", "d"}) == pytest.approx(1.0)
    assert _ndcg_at_k(["a", "c"], {"b"}) == 0.0


def _per_user_split(X, seed=0, test_fraction=0.2):
    rng = np.random.RandomState(seed)
    test = np.zeros(len(X), dtype=bool)
    for _, idx in X.groupby("user").indices.items():
        n_test = int(round(test_fraction * len(idx)))
        test[rng.permutation(idx)[:n_test]] = True
    return X[~test], X[test]


def _mean_ndcg(model, test):
    truth = test.groupby("user")["item"].apply(set)
    users = truth.index.to_numpy()
    items, _ = model.recommend(users, k=10)
    return np.mean([_ndcg_at_k(items[r], truth.iloc[r]) for r in range(len(users))])


@pytest.mark.parametrize(
    "model",
    [ItemKNN(n_neighbors=30, shrinkage=0.0, similarity="cosine"),
     ItemKNN(similarity="asymmetric", asymmetry=0.8), ItemKNN(), UserKNN(30)],
    ids=["item-cosine", "item-asymmetric", "item-defaults", "user-cosine"],
)
def test_beats_popularity_on_planted_data(model):
    data = make_interactions(n_users=300, n_items=80, n_interactions=4000, random_state=0)
    train, test = _per_user_split(data.X[["user", "item"]])
    pop = _mean_ndcg(Popularity().fit(train), test)
    knn = _mean_ndcg(model.fit(train), test)
    assert knn > pop + 0.03, (knn, pop)


# ----------------------------------------------------------- parameters
@pytest.mark.parametrize("cls", [ItemKNN, UserKNN])
@pytest.mark.parametrize(
    "params, name",
    [
        ({"n_neighbors": 0}, "n_neighbors"),
        ({"n_neighbors": 2.5}, "n_neighbors"),
        ({"shrinkage": -1.0}, "shrinkage"),
        ({"similarity": "pearson"}, "similarity"),
        ({"asymmetry": 1.5}, "asymmetry"),
        ({"binarize": "yes"}, "binarize"),
    ],
)
def test_bad_parameters_raise(cls, params, name):
    with pytest.raises(ValueError, match=name):
        cls(**params).fit(TINY)


# ----------------------------------------------------------- pruning helper
@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.lists(st.lists(st.integers(-2, 3), min_size=5, max_size=5), min_size=1, max_size=6),
    st.sampled_from([None, True, False]),
)
def test_pruning_matches_dense_reference(k, rows, dense_path):
    # Unit norms and no shrinkage leave the values as they are. Stored entries
    # only compete among themselves: a negative stored value ranks below a
    # positive one, an unstored zero is never kept; column 0 of row 0 is excluded.
    dense = np.array(rows, dtype=float)
    exclude = np.full(len(dense), -1)
    exclude[0] = 0
    got = _knn._pruned_similarity(
        sp.csr_array(dense), np.ones(len(dense)), np.ones(5), (0.5, 0.5), 0.0, k, exclude,
        dense=dense_path,
    ).toarray()
    dense[0, 0] = 0.0
    for r, row in enumerate(dense):
        stored = np.sort(row[row != 0])[::-1]
        threshold = stored[k - 1] if len(stored) > k else -np.inf
        np.testing.assert_array_equal(got[r], np.where(row >= threshold, row, 0.0))


@pytest.mark.parametrize("dense_path", [True, False])
def test_pruning_paths_agree_on_normalized_data(dense_path):
    data = make_interactions(n_users=50, n_items=30, random_state=1)
    R = ItemKNN().fit(data.X).seen_
    R.data[:] = 1.0
    dots = sp.csr_array(R @ R.T)
    sq = np.asarray(R.sum(axis=1)).ravel()
    args = (sq, sq, (0.3, 0.7), 2.0, 4, np.arange(50))
    ref = _knn._pruned_similarity(dots.copy(), *args, dense=not dense_path).toarray()
    got = _knn._pruned_similarity(dots.copy(), *args, dense=dense_path).toarray()
    np.testing.assert_allclose(got, ref)
    assert np.all(np.diag(got) == 0) and np.all((got > 0).sum(axis=1) >= 4)


def test_user_sub_batches_give_the_same_scores(monkeypatch):
    data = make_interactions(n_users=60, n_items=40, random_state=0)
    model = UserKNN(n_neighbors=5, shrinkage=1.0).fit(data.X)
    users = model.user_ids_[:20]
    ref = model.score_items(users)
    monkeypatch.setattr(_knn, "_ENTRIES_PER_BLOCK", 7 * 60)  # 7 query users at a time
    np.testing.assert_allclose(model.score_items(users), ref)
    np.testing.assert_allclose(model.score_items(users, model.item_ids_[[4, 1]]), ref[:, [4, 1]])
