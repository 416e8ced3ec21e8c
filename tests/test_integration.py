"""skrec estimators, splitters and scorers inside scikit-learn model selection."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import randint
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

import skrec
from skrec import ITEM, TIME, USER
from skrec.base import BaseRecommender, RecommenderTags
from skrec.baselines import Popularity
from skrec.datasets import make_checkerboard, make_interactions
from skrec.metrics import make_ranking_scorer
from skrec.model_selection import ColdStartUserSplit, UserHoldoutSplit, UserKFold
from skrec.neighbors import ItemKNN


class TinyItemBias(BaseRecommender):
    """Test-only explicit baseline: global mean plus a shrunk item bias."""

    def __init__(self, reg=1.0):
        self.reg = reg

    def __skrec_tags__(self):
        return RecommenderTags(feedback="explicit")

    def _fit(self, data):
        count = np.bincount(data.item, minlength=data.n_items)
        resid = np.bincount(data.item, weights=data.y - self.global_mean_, minlength=data.n_items)
        self.item_bias_ = resid / (count + self.reg)
        return self

    def _score_items(self, user_idx, history, item_idx):
        rating = self.global_mean_ + self.item_bias_
        rating = rating if item_idx is None else rating[item_idx]
        return np.tile(rating, (len(user_idx), 1))

    def _predict_pairs(self, user_idx, item_idx, features=None):
        return self.global_mean_ + self.item_bias_[item_idx]


Model = ItemKNN


@pytest.fixture(scope="module")
def data():
    return make_interactions(n_users=60, n_items=40, random_state=0)


@pytest.fixture(scope="module")
def blocks():
    """Checkerboard data: a personalized model beats popularity by far."""
    X = make_checkerboard(n_users=60, n_items=40, n_blocks=3, density=0.6, random_state=0).X
    return X


def test_grid_search_multi_metric_refit_ndcg(blocks):
    scorer = make_ranking_scorer(["ndcg", "recall"], k=10)
    search = GridSearchCV(
        Model(), {"n_neighbors": [1, 30]}, cv=UserHoldoutSplit(0.3, n_splits=2, random_state=0),
        scoring=scorer, refit="ndcg@10",
    ).fit(blocks)
    res = search.cv_results_
    assert {"mean_test_ndcg@10", "mean_test_recall@10", "rank_test_ndcg@10"} <= set(res)
    assert search.best_index_ == int(np.argmax(res["mean_test_ndcg@10"]))
    assert search.best_params_ == res["params"][search.best_index_]
    assert search.best_score_ == pytest.approx(res["mean_test_ndcg@10"][search.best_index_])
    assert search.best_estimator_.n_neighbors == search.best_params_["n_neighbors"]
    assert np.all((res["mean_test_recall@10"] > 0) & (res["mean_test_recall@10"] <= 1))
    # the refit model beats popularity on planted blocks, and recommends through the search
    pop = cross_validate(Popularity(), blocks, cv=UserHoldoutSplit(0.3, random_state=0),
                         scoring=scorer)
    assert search.best_score_ > pop["test_ndcg@10"].mean() + 0.1
    items, scores = skrec.recommend(search, blocks[USER].unique()[:3], k=5)
    assert items.shape == (3, 5) and np.isfinite(scores).all()


def test_randomized_search_with_user_kfold(blocks):
    search = RandomizedSearchCV(
        Model(), {"n_neighbors": randint(1, 40)}, n_iter=3, random_state=0,
        cv=UserKFold(3, random_state=0), scoring=make_ranking_scorer("ndcg", k=10),
    ).fit(blocks)
    values = [p["n_neighbors"] for p in search.cv_results_["params"]]
    assert len(values) == 3 and all(1 <= v < 40 for v in values)
    assert search.cv_results_["split2_test_score"].shape == (3,)
    again = RandomizedSearchCV(
        Model(), {"n_neighbors": randint(1, 40)}, n_iter=3, random_state=0,
        cv=UserKFold(3, random_state=0), scoring=make_ranking_scorer("ndcg", k=10),
    ).fit(blocks)
    np.testing.assert_allclose(again.cv_results_["mean_test_score"],
                               search.cv_results_["mean_test_score"])


def test_cross_validate_parallel_matches_serial(data):
    cv = UserHoldoutSplit(0.2, n_splits=2, random_state=0)
    scoring = make_ranking_scorer(["ndcg@10", "map@5"])
    serial = cross_validate(Model(n_neighbors=10), data.X, cv=cv, scoring=scoring)
    parallel = cross_validate(Model(n_neighbors=10), data.X, cv=cv, scoring=scoring, n_jobs=2)
    for key in ("test_ndcg@10", "test_map@5"):
        assert parallel[key].shape == (2,)
        np.testing.assert_allclose(parallel[key], serial[key])


def _add_hour(X):
    return X.assign(hour=(X[TIME] // 3600) % 24)


def test_pipeline_with_column_adding_transformer(data):
    adder = FunctionTransformer(
        _add_hour, feature_names_out=lambda self, names: [*names, "hour"]
    ).set_output(transform="pandas")
    pipe = Pipeline([("hour", adder), ("rec", Model(n_neighbors=10))])
    res = cross_validate(pipe, data.X, cv=UserHoldoutSplit(random_state=0),
                         scoring=make_ranking_scorer("ndcg"), return_estimator=True)
    fitted = res["estimator"][0]
    assert list(fitted[-1].feature_names_in_) == [USER, ITEM, TIME, "session", "hour"]
    assert 0 < res["test_score"][0] <= 1
    # the default score (NDCG@10) goes through the pipeline too
    assert 0 <= cross_validate(pipe, data.X, cv=UserHoldoutSplit(random_state=0))[
        "test_score"][0] <= 1
    # history of unseen users passes through the transformer, then folds in
    pipe.fit(data.X)
    history = pd.DataFrame({USER: ["new", "new"], ITEM: [0, 1], TIME: [0, 3600],
                            "session": [0, 0]})
    items, scores = skrec.recommend(pipe, ["new"], k=5, history=history)
    plain = Model(n_neighbors=10).fit(data.X)
    want, _ = plain.recommend(["new"], k=5, history=history)
    np.testing.assert_array_equal(items, want)
    assert not {0, 1} & set(items[0].tolist())  # history items excluded


def test_cold_start_users_folded_in(blocks):
    cv = ColdStartUserSplit(3, random_state=0)
    folded = make_ranking_scorer("ndcg", cold_users="fold_in", n_support=3,
                                 support_order="random")
    fallback = make_ranking_scorer("ndcg", cold_users="fallback")
    res = cross_validate(Model(n_neighbors=20), blocks, cv=cv,
                         scoring={"fold_in": folded, "fallback": fallback},
                         return_indices=True)
    for train, test in zip(res["indices"]["train"], res["indices"]["test"], strict=True):
        assert not set(blocks[USER].iloc[train]) & set(blocks[USER].iloc[test])
    # three support rows from a user's block are enough to find the rest of it
    assert res["test_fold_in"].mean() > 0.6
    assert res["test_fold_in"].mean() > res["test_fallback"].mean() + 0.3
    pop = cross_validate(Popularity(), blocks, cv=cv, scoring={"fold_in": folded})
    assert res["test_fold_in"].mean() > pop["test_fold_in"].mean() + 0.3


def test_explicit_ratings_rmse_next_to_ranking(data):
    rank4 = make_ranking_scorer("ndcg", k=10, relevance_threshold=4)
    res = cross_validate(
        TinyItemBias(), data.X, data.y, cv=UserHoldoutSplit(random_state=0),
        scoring={"rmse": "neg_root_mean_squared_error", "ndcg": rank4},
        return_estimator=True, return_indices=True,
    )
    est = res["estimator"][0]
    test = res["indices"]["test"][0]
    X_te, y_te = data.X.iloc[test], data.y[test]
    assert res["test_rmse"][0] == pytest.approx(-root_mean_squared_error(y_te, est.predict(X_te)))
    # biases help: better than predicting the training mean
    assert -res["test_rmse"][0] < root_mean_squared_error(y_te, np.full(len(y_te),
                                                                        est.global_mean_))
    # only ratings >= 4 are relevant: the same as scoring the rows rated 4 or 5
    plain = make_ranking_scorer("ndcg", k=10)
    assert res["test_ndcg"][0] == pytest.approx(plain(est, X_te[y_te >= 4]))
    assert 0 < res["test_ndcg"][0] <= 1
    with pytest.raises(ValueError, match="y"):
        rank4(est, X_te)  # a threshold needs the ratings
