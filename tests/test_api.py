"""Free functions and tag lookup through Pipeline, search objects and FrozenEstimator."""

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import skrec
from skrec import USER
from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.utils import get_recommender_tags


@pytest.fixture(scope="module")
def data():
    return make_interactions(n_users=30, n_items=20, random_state=0)


def test_recommend_through_pipeline_transforms_history(data):
    seen = []

    def spy(X):
        seen.append(len(X))
        return X

    pipe = make_pipeline(FunctionTransformer(spy), Popularity()).fit(data.X)
    hist = data.X[data.X[USER] == 0].assign(**{USER: "new"})
    items, scores = skrec.recommend(pipe, ["new"], k=3, history=hist)
    assert seen[-1] == len(hist)  # history went through the transformer
    direct = pipe[-1].recommend(["new"], k=3, history=hist)
    np.testing.assert_array_equal(items, direct[0])
    s = skrec.score_items(pipe, ["new"], history=hist)
    assert s.shape == (1, pipe[-1].n_items_)


def test_recommend_through_search_and_frozen(data):
    search = GridSearchCV(Popularity(), {}, cv=KFold(2)).fit(data.X)
    a = skrec.recommend(search, [0, 1], k=4)
    b = search.best_estimator_.recommend([0, 1], k=4)
    np.testing.assert_array_equal(a[0], b[0])
    frozen = FrozenEstimator(search.best_estimator_)
    c = skrec.recommend(frozen, [0, 1], k=4)
    np.testing.assert_array_equal(a[0], c[0])


def test_unfitted_search_and_non_recommender_errors(data):
    with pytest.raises(ValueError, match="best_estimator_"):
        skrec.recommend(GridSearchCV(Popularity(), {}), [0])
    with pytest.raises(TypeError, match="not a recommender"):
        skrec.recommend(FunctionTransformer(), [0])


def test_get_recommender_tags_unwraps():
    pipe = make_pipeline(FunctionTransformer(), Popularity())
    assert get_recommender_tags(GridSearchCV(pipe, {})).fold_in
    assert pipe.__sklearn_tags__().estimator_type == "recommender"
    with pytest.raises(TypeError, match="not a skrec recommender"):
        get_recommender_tags(FunctionTransformer())
