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


def test_unwrap_estimator_one_rule_for_both_paths(data):
    from skrec.utils._tags import unwrap_estimator

    pipe = make_pipeline(FunctionTransformer(lambda X: X.assign(extra=1)), Popularity())
    search = GridSearchCV(pipe, {}, cv=KFold(2))
    # tags path: unfitted search and pipeline reach the recommender, history untouched
    inner, hist = unwrap_estimator(FrozenEstimator(search))
    assert isinstance(inner, Popularity) and hist is None
    # scoring path: an unfitted search is refused with a clear message
    with pytest.raises(ValueError, match="refit=True"):
        unwrap_estimator(search, data.X, fitted=True)
    search.fit(data.X)
    inner, hist = unwrap_estimator(FrozenEstimator(search), data.X, fitted=True)
    assert inner is search.best_estimator_[-1]
    assert "extra" in hist.columns  # history went through pipe[:-1]
    assert "extra" not in data.X.columns


def test_frozen_detected_by_type_not_name():
    from skrec.utils._tags import unwrap_estimator

    class FrozenEstimator:  # same name, not scikit-learn's wrapper
        estimator = Popularity()

    fake = FrozenEstimator()
    assert unwrap_estimator(fake)[0] is fake
    with pytest.raises(TypeError, match="not a recommender"):
        unwrap_estimator(fake, fitted=True)


def test_families_without_torch_do_not_import_torch():
    """``import skrec.neighbors`` (or baselines, metrics, model_selection) loads no torch."""
    import subprocess
    import sys

    code = ("import sys, skrec, skrec.neighbors, skrec.baselines, skrec.metrics, "
            "skrec.model_selection, skrec.utils; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_all_estimators_lists_each_estimator_once_with_its_family():
    from skrec.utils import all_estimators

    found = all_estimators()
    names = [name for name, _, _ in found]
    assert len(names) == len(set(names))
    for name, cls, family in found:
        assert cls.__module__.startswith(f"skrec.{family}.")
        assert getattr(__import__(f"skrec.{family}", fromlist=[name]), name) is cls
    assert [n for n, _, _ in all_estimators("neighbors")] == ["ItemKNN", "UserKNN"]


def test_import_fails_clearly_next_to_scikit_rec(monkeypatch):
    """scikit-rec also installs a package named skrec: importing next to it says the fix."""
    from importlib import metadata

    import skrec

    real = metadata.distribution

    def fake(name):
        if name == "scikit-rec":
            class Dist:
                version = "0.4.2"
            return Dist()
        return real(name)

    monkeypatch.setattr(metadata, "distribution", fake)
    with pytest.raises(ImportError, match="pip uninstall -y scikit-rec"):
        skrec._check_no_clash()
    monkeypatch.setattr(metadata, "distribution", real)
    skrec._check_no_clash()  # the real environment has no clash


def test_docstrings_have_no_unfilled_placeholders():
    """The shared parameter blocks ({engine_params}, {ctr_params}, ...) are filled in."""
    import re

    from skrec.utils import all_estimators

    for name, cls, _ in all_estimators():
        assert not re.search(r"^\s*\{\w+_params\}\s*$", cls.__doc__ or "", flags=re.M), name
