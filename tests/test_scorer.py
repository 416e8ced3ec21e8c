"""Ranking and next-item scorers: protocols, hand-computed values, model selection."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError, UndefinedMetricWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import check_random_state

import skrec
from skrec.base import BaseRecommender, RecommenderTags
from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.metrics import (
    auc_score,
    get_scorer,
    hit_rate_at_k,
    make_next_item_scorer,
    make_ranking_scorer,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

L2 = 1 / math.log2(3)
ITEMS = list("abcdef")


class FixedScores(BaseRecommender):
    """Known scores per user (aligned with ITEMS); users unseen at fit get ``cold``."""

    def __init__(self, scores=None, cold=None):
        self.scores = scores
        self.cold = cold

    def __skrec_tags__(self):
        return RecommenderTags(fold_in=True)

    def _fit(self, data):
        cols = pd.Index(ITEMS).get_indexer(self.item_ids_)
        self.table_ = np.array([np.asarray(self.scores[u], float)[cols] for u in self.user_ids_])
        self.cold_ = np.asarray(self.cold, float)[cols]
        return self

    def _score_items(self, context, item_idx):
        user_idx, _history = context.codes, context.matrix
        out = np.where(user_idx[:, None] >= 0, self.table_[np.maximum(user_idx, 0)], self.cold_)
        return out if item_idx is None else out[:, item_idx]


class MeanEmbedding(BaseRecommender):
    """Random item vectors; a user is the mean vector of H(u) (folds in anyone)."""

    def __init__(self, n_factors=4, random_state=0):
        self.n_factors = n_factors
        self.random_state = random_state

    def __skrec_tags__(self):
        return RecommenderTags(fold_in=True)

    def _fit(self, data):
        rng = check_random_state(self.random_state)
        self.item_factors_ = rng.normal(size=(data.n_items, self.n_factors))
        return self

    def _score_items(self, context, item_idx):
        _user_idx, history = context.codes, context.matrix
        counts = np.maximum(np.asarray(history.sum(axis=1)).ravel(), 1.0)
        users = (history @ self.item_factors_) / counts[:, None]
        v = self.item_factors_ if item_idx is None else self.item_factors_[item_idx]
        return users @ v.T


# TEST holds an item unseen at fit ("g"), a miss for these models: the scorer says so
# with a warning (tested in test_coldstart_features.py), silenced here.
pytestmark = pytest.mark.filterwarnings("ignore:.*unseen at fit, which .* cannot score")

# popularity: c 3, a 2, then b, d, e, f 1 (no tie at the top-2 boundary)
TRAIN = pd.DataFrame({"user": ["u1", "u1", "u2", "u4", "u4", "u4", "u4", "u4", "u5"],
                      "item": ["a", "b", "c", "c", "d", "e", "f", "a", "c"]})
TEST = pd.DataFrame({
    "user": ["u1", "u1", "u2", "u2", "u2", "u3", "u3", "u3"],
    "item": ["b", "d", "a", "f", "g", "a", "b", "c"],
    "timestamp": [1, 2, 1, 2, 3, 1, 2, 3],
})
Y_TEST = np.array([5.0, 2, 4, 5, 1, 5, 5, 5])
DESC = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]


@pytest.fixture(scope="module")
def fixed():
    scores = {"u1": DESC, "u2": DESC[::-1], "u4": [0.1] * 6, "u5": [0.2] * 6}
    return FixedScores(scores=scores, cold=DESC).fit(TRAIN)


@pytest.fixture(scope="module")
def data():
    d = make_interactions(n_users=60, n_items=40, n_interactions=900, random_state=0)
    n_train = 700
    return d.X.iloc[:n_train], d.X.iloc[n_train:], d.y[n_train:]


# ----------------------------------------------------------------- hand-computed
def test_hand_computed_known_users(fixed):
    # u1: list [c, d], truth {d} (b is a training item); u2: list [f, e], truth {a, f, g}
    names = ["ndcg", "recall", "precision", "map", "mrr", "hit_rate"]
    scorer = make_ranking_scorer(names, k=2, cold_users="skip")
    got = scorer(fixed, TEST)
    expected = {
        "ndcg@2": (L2 + 1 / (1 + L2)) / 2,
        "recall@2": (1 + 1 / 3) / 2,
        "precision@2": 0.5,
        "map@2": (0.5 + 0.5) / 2,
        "mrr@2": (0.5 + 1) / 2,
        "hit_rate@2": 1.0,
    }
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key
    assert make_ranking_scorer("ndcg", k=2, cold_users="skip")(fixed, TEST) == pytest.approx(
        expected["ndcg@2"]
    )


def test_training_item_with_zero_value_is_still_seen():
    scores = {"u1": DESC, "u2": DESC[::-1], "u4": [0.1] * 6, "u5": [0.2] * 6}
    y = np.ones(len(TRAIN))
    y[1] = 0.0  # (u1, b) has confidence 0 but is a training interaction
    model = FixedScores(scores=scores, cold=DESC).fit(TRAIN, y)
    assert make_ranking_scorer("ndcg@2", cold_users="skip")(model, TEST) == pytest.approx(
        (L2 + 1 / (1 + L2)) / 2
    )


@pytest.mark.parametrize(
    "cold_users, ndcg_u3, recall_u3",
    [
        ("fold_in", 1.0, 1.0),  # support {a, b} as history: list [c, d], truth {c}
        ("fallback", 1.0, 2 / 3),  # popularity [c, a], truth {a, b, c}
        ("skip", None, None),
    ],
)
def test_cold_users(fixed, cold_users, ndcg_u3, recall_u3):
    scorer = make_ranking_scorer(["ndcg@2", "recall@2"], cold_users=cold_users, n_support=2)
    got = scorer(fixed, TEST)
    ndcg = [L2, 1 / (1 + L2)] + ([] if ndcg_u3 is None else [ndcg_u3])
    recall = [1.0, 1 / 3] + ([] if recall_u3 is None else [recall_u3])
    assert got["ndcg@2"] == pytest.approx(np.mean(ndcg))
    assert got["recall@2"] == pytest.approx(np.mean(recall))


def test_fold_in_support_order(fixed, data):
    X_train, X_test, _ = data
    model = MeanEmbedding().fit(X_train)
    cold = X_test.assign(user=X_test["user"].astype(str) + "_new")  # every user is new
    a = make_ranking_scorer("ndcg@5", support_order="random", random_state=3)(model, cold)
    b = make_ranking_scorer("ndcg@5", support_order="random", random_state=3)(model, cold)
    assert a == b
    with pytest.raises(ValueError, match="timestamp"):
        make_ranking_scorer("ndcg@2", n_support=2)(fixed, TEST[["user", "item"]].to_numpy())
    arr = make_ranking_scorer("ndcg@2", n_support=2, support_order="random")(
        fixed, TEST[["user", "item"]].to_numpy()
    )
    assert 0.0 <= arr <= 1.0


def test_relevance_threshold(fixed):
    scorer = make_ranking_scorer(["ndcg@2", "recall@2"], relevance_threshold=4, cold_users="skip")
    got = scorer(fixed, TEST, Y_TEST)
    # u1: b is seen, d is below 4 -> no relevant item, left out; u2: truth {a, f}
    assert got["ndcg@2"] == pytest.approx(1 / (1 + L2))
    assert got["recall@2"] == pytest.approx(0.5)
    with pytest.warns(UndefinedMetricWarning, match="relevance_threshold"):
        assert np.isnan(make_ranking_scorer("ndcg", relevance_threshold=6)(fixed, TEST, Y_TEST))
    with pytest.raises(ValueError, match="relevance_threshold needs y_test"):
        make_ranking_scorer("ndcg", relevance_threshold=4)(fixed, TEST)


def test_exclude_seen_false_keeps_training_items(fixed):
    scorer = make_ranking_scorer("ndcg@2", exclude_seen=False, cold_users="skip")
    # u1: list [a, b], truth {b, d}; u2: list [f, e], truth {a, f, g}
    assert scorer(fixed, TEST) == pytest.approx((L2 / (1 + L2) + 1 / (1 + L2)) / 2)


def test_sampled_negatives_hand_computed(fixed):
    # negatives >= catalog: every eligible item is a negative, so no randomness is left.
    # u1: d vs {c, e, f} -> rank 1. u2: f rank 0, a below {b, d, e} -> rank 3, g unknown.
    scorer = make_ranking_scorer(["ndcg@2", "mrr@2", "hit_rate@1", "auc"], negatives=10,
                                 cold_users="skip")
    got = scorer(fixed, TEST)
    assert got["ndcg@2"] == pytest.approx((L2 + 1 / 3) / 2)
    assert got["mrr@2"] == pytest.approx((0.5 + 1 / 3) / 2)
    assert got["hit_rate@1"] == pytest.approx((0 + 1 / 3) / 2)
    assert got["auc"] == pytest.approx((2 / 3 + 1 / 3) / 2)


def test_sampled_negatives_optimistic_deterministic_batch_free(data):
    X_train, X_test, _ = data
    model = MeanEmbedding().fit(X_train)
    # a positive's rank among sampled items is at most its rank among all items
    full = make_ranking_scorer("recall@5")(model, X_test)
    sampled = make_ranking_scorer(["recall@5", "hit_rate@5", "auc"], negatives=10)
    a = sampled(model, X_test)
    assert a["recall@5"] >= full
    assert sampled(model, X_test) == a
    b = make_ranking_scorer(["recall@5", "hit_rate@5", "auc"], negatives=10, batch_size=7)(
        model, X_test
    )
    assert b == pytest.approx(a)
    c = make_ranking_scorer(["recall@5", "hit_rate@5", "auc"], negatives=10, random_state=1)(
        model, X_test
    )
    assert c != a


def test_agrees_with_metric_functions(data):
    X_train, X_test, _ = data
    model = MeanEmbedding().fit(X_train)
    known = X_test["user"].isin(model.user_ids_) & X_test["item"].isin(model.item_ids_)
    X_known = X_test[known]
    users = pd.unique(X_known["user"])
    y_score = model.score_items(users)
    codes = model._user_index.get_indexer(users)
    seen = model.seen_[codes].toarray() > 0
    y_score[seen] = -np.inf
    y_true = np.zeros_like(y_score)
    rows = pd.Index(users).get_indexer(X_known["user"])
    y_true[rows, model._item_index.get_indexer(X_known["item"])] = 1
    names = ["ndcg@10", "recall@20", "truncated_recall@5", "precision@3", "map@10", "mrr@10",
             "hit_rate@4", "auc"]
    got = make_ranking_scorer(names)(model, X_known)
    assert got["ndcg@10"] == pytest.approx(ndcg_at_k(y_true, y_score, 10))
    assert got["recall@20"] == pytest.approx(recall_at_k(y_true, y_score, 20))
    assert got["truncated_recall@5"] == pytest.approx(
        recall_at_k(y_true, y_score, 5, truncated=True)
    )
    assert got["precision@3"] == pytest.approx(precision_at_k(y_true, y_score, 3))
    assert got["map@10"] == pytest.approx(map_at_k(y_true, y_score, 10))
    assert got["mrr@10"] == pytest.approx(mrr_at_k(y_true, y_score, 10))
    assert got["hit_rate@4"] == pytest.approx(hit_rate_at_k(y_true, y_score, 4))
    assert got["auc"] == pytest.approx(auc_score(y_true, y_score))


def test_results_independent_of_batch_size(data):
    X_train, X_test, y_test = data
    model = MeanEmbedding().fit(X_train)
    cold = X_test.assign(user=np.where(X_test["user"] % 3 == 0, -1 - X_test["user"],
                                       X_test["user"]))
    names = ["ndcg@10", "recall@20", "map@10", "coverage@10", "novelty@10", "auc"]
    ref = make_ranking_scorer(names, relevance_threshold=3)(model, cold, y_test)
    for batch_size in (1, 7, 1000):
        got = make_ranking_scorer(names, relevance_threshold=3, batch_size=batch_size)(
            model, cold, y_test
        )
        assert got == pytest.approx(ref)
    assert 0 < ref["coverage@10"] <= 1 and ref["novelty@10"] > 0


def test_popularity_and_default_score(data):
    X_train, X_test, _ = data
    model = Popularity().fit(X_train)
    value = get_scorer("ndcg@10")(model, X_test)
    assert 0.0 < value < 1.0
    assert model.score(X_test) == value
    # popularity lists differ only by the excluded training items
    assert 10 / model.n_items_ <= get_scorer("coverage@10")(model, X_test) < 1


# ------------------------------------------------------------------- bad input
def test_scorer_bad_input(fixed):
    with pytest.raises(ValueError, match="positive"):
        make_ranking_scorer("ndcg", k=0)
    with pytest.raises(ValueError, match="positive"):
        make_ranking_scorer("ndcg@0")
    with pytest.raises(ValueError, match="Valid names: ndcg@K, recall@K"):
        make_ranking_scorer("ndgc@10")
    with pytest.raises(ValueError, match="no @K"):
        make_ranking_scorer("auc@10")
    with pytest.raises(ValueError, match="cold_users"):
        make_ranking_scorer("ndcg", cold_users="drop")
    with pytest.raises(ValueError, match="negatives"):
        make_ranking_scorer("ndcg", negatives=0)
    with pytest.raises(ValueError, match="sampled negatives"):
        make_ranking_scorer(["ndcg", "coverage"], negatives=5)
    with pytest.raises(ValueError, match="repeats"):
        make_ranking_scorer(["ndcg@10", "ndcg"])
    with pytest.raises(NotFittedError):
        get_scorer("ndcg@10")(FixedScores(scores={}, cold=DESC), TEST)
    with pytest.raises(NotFittedError):
        get_scorer("ndcg@10")(make_pipeline(FunctionTransformer(), Popularity()), TEST)
    with pytest.raises(ValueError, match="columns 'user' and 'item'"):
        get_scorer("ndcg@10")(fixed, TEST.rename(columns={"item": "movie"}))
    with pytest.raises(ValueError, match="one per row"):
        get_scorer("ndcg@10")(fixed, TEST, Y_TEST[:3])


def test_get_scorer():
    from sklearn.metrics import get_scorer as sk_get_scorer

    assert repr(get_scorer("neg_root_mean_squared_error")) == repr(
        sk_get_scorer("neg_root_mean_squared_error")
    )
    with pytest.raises(ValueError, match="Ranking scorers: ndcg@K.*neg_root_mean_squared_error"):
        get_scorer("foo")
    with pytest.raises(ValueError, match="Valid names: ndcg@K"):
        get_scorer("precision@k")
    assert "recall@20" in repr(get_scorer("recall@20"))
    scorer = make_ranking_scorer("map@5")
    assert get_scorer(scorer) is scorer


# -------------------------------------------------------------- model selection
def test_grid_search_and_cross_validate(data):
    X_train, X_test, _ = data
    scorer = make_ranking_scorer(["ndcg@10", "recall@20"])
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(MeanEmbedding(), {"n_factors": [2, 8]}, scoring=scorer,
                          refit="ndcg@10", cv=cv).fit(X_train)
    assert set(search.cv_results_) >= {"mean_test_ndcg@10", "mean_test_recall@20"}
    assert search.best_params_["n_factors"] in (2, 8)
    # the scorer unwraps the fitted search object and a pipeline
    assert scorer(search, X_test) == scorer(search.best_estimator_, X_test)
    pipe = make_pipeline(FunctionTransformer(), MeanEmbedding()).fit(X_train)
    assert scorer(pipe, X_test) == scorer(pipe[-1], X_test)
    assert not np.isnan(scorer(pipe, X_test)["ndcg@10"])
    result = cross_validate(Popularity(), X_train, cv=cv)  # default score: NDCG@10
    assert np.all((result["test_score"] >= 0) & (result["test_score"] <= 1))


# ------------------------------------------------------------------ next item
def test_next_item_scorer_hand_computed():
    train = pd.DataFrame({"user": [0, 0, 1, 1, 2, 3], "item": [1, 2, 1, 3, 1, 3]})
    # popularity: 1 (3), 3 (2), 2 (1); sessions in shuffled row order
    test = pd.DataFrame({
        "user": [9, 9, 9, 8, 8, 7],
        "item": [2, 1, 3, 3, 2, 1],
        "session": ["s1", "s1", "s1", "s2", "s2", "s3"],
        "timestamp": [3, 1, 2, 5, 4, 1],
    })
    model = Popularity().fit(train)
    # s1 in time order 1, 3, 2: targets 3 (rank 2), 2 (rank 3); s2: 2, 3: target 3 (rank 2)
    got = make_next_item_scorer(["recall@2", "mrr@3", "ndcg@3"])(model, test)
    assert got["recall@2"] == pytest.approx(2 / 3)
    assert got["mrr@3"] == pytest.approx((0.5 + 1 / 3 + 0.5) / 3)
    assert got["ndcg@3"] == pytest.approx((L2 + 0.5 + L2) / 3)
    # excluding the prefix: s1 targets 3 (after 1: rank 1), 2 (after 1, 3: rank 1);
    # s2 target 3 after 2: rank 2
    got = make_next_item_scorer("mrr@3", exclude_seen=True)(model, test)
    assert got == pytest.approx((1 + 1 + 0.5) / 3)
    assert make_next_item_scorer("mrr@3", batch_size=1)(model, test) == pytest.approx(
        (0.5 + 1 / 3 + 0.5) / 3
    )


def test_next_item_scorer_session_model_and_errors(data):
    X_train, X_test, _ = data
    model = MeanEmbedding().fit(X_train)
    scorer = make_next_item_scorer(["recall@20", "mrr@20"])
    a = scorer(model, X_test)
    b = make_next_item_scorer(["recall@20", "mrr@20"], batch_size=3)(model, X_test)
    assert a == pytest.approx(b)
    assert 0 <= a["mrr@20"] <= a["recall@20"] <= 1
    with pytest.raises(ValueError, match="session"):
        scorer(model, X_test[["user", "item"]])
    with pytest.raises(ValueError, match="not next-item metrics"):
        make_next_item_scorer(["auc"])
    with pytest.raises(NotFittedError):
        scorer(MeanEmbedding(), X_test)


def test_no_warning_on_normal_use(data):
    X_train, X_test, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        skrec.metrics.get_scorer("ndcg@10")(Popularity().fit(X_train), X_test)


def test_validation_curve_gives_numbers_for_list_metrics_and_train_scores():
    """Coverage and novelty need no relevant item; exclude_seen=False gives a train score."""
    import warnings

    from sklearn.model_selection import validation_curve

    from skrec.datasets import make_interactions
    from skrec.model_selection import UserHoldoutSplit
    from skrec.neighbors import ItemKNN

    data = make_interactions(n_users=80, n_items=40, random_state=0)
    X = data.X[["user", "item"]]
    cv = UserHoldoutSplit(n_splits=2, random_state=0)
    for spec, kw in [("coverage@10", {}), ("novelty@10", {}), ("ndcg@10",
                                                               {"exclude_seen": False})]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            train, test = validation_curve(
                ItemKNN(), X, y=None, param_name="n_neighbors", param_range=[5, 40], cv=cv,
                scoring=make_ranking_scorer(spec, **kw))
        assert np.isfinite(train).all() and np.isfinite(test).all(), spec
    # The default on training rows is undefined, and the warning says what to do.
    with pytest.warns(UserWarning, match="exclude_seen=False"):
        make_ranking_scorer("ndcg@10")(ItemKNN().fit(X), X)
