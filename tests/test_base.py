"""The estimator contract of BaseRecommender: validation, encoding, ranking."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from skrec import ITEM, TIME, USER
from skrec.base import BaseRecommender, RecommenderTags
from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.utils import get_recommender_tags
from skrec.utils._compat import StrOptions


class ItemMean(BaseRecommender):
    """Test-only explicit model: predicts each item's mean training rating."""

    _parameter_constraints = {"duplicates": [StrOptions({"keep", "mean", "sum", "first",
                                                         "last", "error"})]}

    def __init__(self, duplicates="mean"):
        self.duplicates = duplicates

    def __skrec_tags__(self):
        return RecommenderTags(feedback="explicit")

    def _fit(self, data):
        sums = np.bincount(data.item, weights=data.y, minlength=data.n_items)
        counts = np.bincount(data.item, minlength=data.n_items)
        self.item_mean_ = sums / np.maximum(counts, 1)
        self.n_rows_ = len(data.user)

    def _score_items(self, context, item_idx):
        user_idx, _history = context.codes, context.matrix
        s = self.item_mean_ if item_idx is None else self.item_mean_[item_idx]
        return np.tile(s, (len(user_idx), 1))


class HistorySum(BaseRecommender):
    """Test-only fold-in model: score of item j = (history row) . w_j, w_j = j + 1.

    The score is a known function of H(u), so the tests can check which
    interactions the base class hands to the model.
    """

    def __init__(self):
        pass

    def __skrec_tags__(self):
        return RecommenderTags(fold_in=True)

    def _fit(self, data):
        pass

    def _score_items(self, context, item_idx):
        _user_idx, history = context.codes, context.matrix
        total = np.asarray(history.sum(axis=1)).ravel()
        w = np.arange(1, self.n_items_ + 1, dtype=float)
        if item_idx is not None:
            w = w[item_idx]
        return total[:, None] * w[None, :]


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            USER: ["a", "a", "b", "b", "c"],
            ITEM: ["x", "y", "y", "z", "x"],
            TIME: [1, 2, 3, 4, 5],
        }
    )


def test_fit_encodes_ids_in_order_of_first_appearance(table):
    model = Popularity().fit(table)
    assert list(model.user_ids_) == ["a", "b", "c"]
    assert list(model.item_ids_) == ["x", "y", "z"]
    assert model.seen_.shape == (3, 3)
    np.testing.assert_array_equal(model.seen_.toarray(), [[1, 1, 0], [0, 1, 1], [1, 0, 0]])
    np.testing.assert_array_equal(model.item_popularity_, [2, 2, 1])
    assert list(model.feature_names_in_) == [USER, ITEM, TIME]
    assert model.n_features_in_ == 3


def test_implicit_duplicates_are_summed(table):
    X = pd.concat([table, table.iloc[[0]]], ignore_index=True)
    model = Popularity().fit(X)
    assert model.seen_[0, 0] == 2
    np.testing.assert_array_equal(model.item_popularity_, [3, 2, 1])


def test_sample_weight_and_confidence_enter_seen(table):
    model = Popularity().fit(table, y=[1, 2, 3, 4, 5], sample_weight=[1, 1, 2, 1, 0.5])
    np.testing.assert_allclose(model.seen_.toarray(), [[1, 2, 0], [0, 6, 4], [2.5, 0, 0]])
    np.testing.assert_allclose(model.item_popularity_, [1.5, 3, 1])


@pytest.mark.parametrize(
    "policy, expected_x, n_rows",
    [("mean", 3.0, 4), ("sum", 6.0, 4), ("first", 1.0, 4), ("last", 5.0, 4), ("keep", 3.0, 5)],
)
def test_explicit_duplicates_policy(policy, expected_x, n_rows):
    X = pd.DataFrame({USER: ["a", "a", "b", "a", "c"], ITEM: ["x", "y", "y", "x", "x"]})
    y = np.array([1.0, 2.0, 4.0, 5.0, 3.0])
    model = ItemMean(duplicates=policy).fit(X, y)
    assert model.n_rows_ == n_rows
    # seen_ holds the aggregated rating of user a on item x
    assert model.seen_[0, 0] == pytest.approx(expected_x if policy != "keep" else 3.0)


def test_explicit_duplicates_error_names_the_rows():
    X = pd.DataFrame({USER: ["a", "a"], ITEM: ["x", "x"]})
    with pytest.raises(ValueError, match="duplicates="):
        ItemMean(duplicates="error").fit(X, [1.0, 2.0])


def test_explicit_model_requires_y(table):
    with pytest.raises(ValueError, match="requires y"):
        ItemMean().fit(table)
    assert get_recommender_tags(ItemMean()).feedback == "explicit"
    assert ItemMean().__sklearn_tags__().target_tags.required


def test_predict_fallbacks(table):
    pairs = table[[USER, ITEM]]
    model = ItemMean().fit(pairs, [1.0, 3.0, 5.0, 2.0, 4.0])
    pred = model.predict(pd.DataFrame({USER: ["a", "zz", "a"], ITEM: ["y", "x", "new"]}))
    np.testing.assert_allclose(pred, [4.0, 3.0, 3.0])  # item mean, global mean, global mean
    pop = Popularity().fit(pairs)
    pred = pop.predict(pd.DataFrame({USER: ["zz", "a"], ITEM: ["x", "new"]}))
    np.testing.assert_allclose(pred, [2.0, 0.0])


def test_predict_checks_columns_against_fit(table):
    """scikit-learn's n_features_in_ / feature_names_in_ rules hold at predict and score."""
    pop = Popularity().fit(table)
    assert pop.n_features_in_ == 3
    assert list(pop.feature_names_in_) == [USER, ITEM, TIME]
    with pytest.raises(ValueError, match="seen at fit time, yet now missing"):
        pop.predict(table[[USER, ITEM]])
    with pytest.raises(ValueError, match="same order"):
        pop.predict(table[[ITEM, USER, TIME]])
    arr = Popularity().fit(table.to_numpy())
    with pytest.raises(ValueError, match="X has 2 features, but Popularity is expecting 3"):
        arr.predict(table[[USER, ITEM]].to_numpy())
    with pytest.raises(ValueError, match="X has 2 features"):
        arr.score(table[[USER, ITEM]].to_numpy())
    np.testing.assert_allclose(arr.predict(table.to_numpy()), pop.predict(table))


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([1.0, 2.0]), "Reshape your data"),
        (np.array([[1.0], [2.0]]), r"1 feature\(s\)"),
        (np.empty((3, 0)), r"0 feature\(s\) \(shape=\(3, 0\)\) while a minimum of 2"),
        (np.empty((0, 3)), r"0 sample\(s\)"),
        (np.array([[1, 2], [3, 4j]]), "Complex data not supported"),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), "infinity"),
        (np.array([[1.0, 2.0, np.nan], [2.0, 3.0, 1.0]]), "NaN"),
        (pd.DataFrame({USER: [1, 2], ITEM: [1, 2], "age": [3.0, np.inf]}), r"X\['age'\]"),
        (pd.DataFrame({USER: [1, 2], ITEM: [1, 2], "genre": ["a", None]}), "NaN"),
    ],
)
def test_fit_messages_use_scikit_learn_wording(X, match):
    with pytest.raises(ValueError, match=match):
        Popularity().fit(X)


def test_predict_refuses_nan_side_features():
    X = pd.DataFrame({USER: [1, 2], ITEM: [1, 2], "age": [3.0, 4.0]})
    model = Popularity().fit(X)
    with pytest.raises(ValueError, match="side features must be finite"):
        model.predict(X.assign(age=[np.nan, 1.0]))


@pytest.mark.parametrize(
    "X, exc, match",
    [
        (sp.csr_array(np.eye(2)), TypeError, "from_csr"),
        (pd.DataFrame({"u": [1], ITEM: [1]}), ValueError, "'user'"),
        (pd.DataFrame({USER: [], ITEM: []}), ValueError, "0 sample"),
        (np.empty((0, 2)), ValueError, "0 sample"),
        (np.array([1, 2, 3]), ValueError, "2-D"),
        (np.array([[1], [2]]), ValueError, "minimum of 2"),
        (pd.DataFrame({USER: [1, None], ITEM: [1, 2]}), ValueError, "missing"),
        (pd.DataFrame({USER: [1, 2], ITEM: [1.0, np.nan]}), ValueError, "missing"),
        (pd.DataFrame({USER: [[1], [2]], ITEM: [1, 2]}), TypeError, "hashable"),
        ("user,item", TypeError, "DataFrame"),
    ],
)
def test_fit_bad_input(X, exc, match):
    with pytest.raises(exc, match=match):
        Popularity().fit(X)


@pytest.mark.parametrize(
    "y, match",
    [([1.0], "2 values|1 values"), ([[1.0], [2.0]], "1-D"), ([1.0, np.inf], "infinity|inf"),
     ([1.0, np.nan], "NaN")],
)
def test_fit_bad_y(y, match):
    X = pd.DataFrame({USER: [1, 2], ITEM: [1, 2]})
    with pytest.raises(ValueError, match=match):
        Popularity().fit(X, y)


def test_negative_sample_weight_is_refused():
    X = pd.DataFrame({USER: [1, 2], ITEM: [1, 2]})
    with pytest.raises(ValueError, match="(?i)negative"):
        Popularity().fit(X, sample_weight=[1.0, -1.0])


def test_dataframe_with_unnamed_columns_is_read_by_position():
    a = Popularity().fit(pd.DataFrame(np.array([[1, 2], [1, 3], [2, 3]])))
    b = Popularity().fit(np.array([[1, 2], [1, 3], [2, 3]]))
    np.testing.assert_array_equal(a.item_ids_, b.item_ids_)


def test_recommend_bad_arguments(table):
    model = Popularity().fit(table)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        model.recommend(["a"], k=-1)
    with pytest.raises(TypeError, match="k must be a positive integer"):
        model.recommend(["a"], k=True)
    with pytest.raises(ValueError, match="users must be 1-D"):
        model.recommend([["a"]], k=1)
    with pytest.raises(ValueError, match=r"pass \['a'\]"):
        model.recommend("a", k=1)
    with pytest.raises(ValueError, match="on_unknown"):
        model.recommend(["a"], on_unknown="ignore")
    with pytest.raises(ValueError, match="unseen at fit"):
        model.recommend(["a"], candidates=["x", "nope"])
    with pytest.raises(ValueError, match="one row per user"):
        model.recommend(["a", "b"], candidates=[["x"]])
    with pytest.raises(ValueError, match="batch_size"):
        model.recommend(["a"], batch_size=0)
    with pytest.raises(ValueError, match="history_y was given without history"):
        model.recommend(["a"], history_y=[1.0])


def test_recommend_excludes_seen_and_pads_with_minus_inf(table):
    model = Popularity().fit(table)
    items, scores = model.recommend(["a", "c"], k=3)
    # a saw x and y: only z is left; c saw x: y then z
    assert items[0, 0] == "z" and np.isneginf(scores[0, 1:]).all()
    assert list(items[1, :2]) == ["y", "z"] and np.isneginf(scores[1, 2])
    items, scores = model.recommend(["a"], k=3, exclude_seen=False)
    assert list(items[0]) == ["x", "y", "z"]
    np.testing.assert_allclose(scores[0], [2, 2, 1])


def test_empty_users_give_empty_arrays(table):
    model = Popularity().fit(table)
    items, scores = model.recommend([], k=2)
    assert items.shape == (0, 2) and scores.shape == (0, 2)
    assert model.score_items([]).shape == (0, 3)


def test_history_is_added_to_context(table):
    model = HistorySum().fit(table)
    # known user a: H(a) = training rows (x, y) -> total 2; history adds z for a, x for zz
    hist = pd.DataFrame({USER: ["a", "zz", "other"], ITEM: ["z", "x", "x"]})
    s = model.score_items(["a", "zz"], history=hist)
    np.testing.assert_allclose(s, [[3, 6, 9], [1, 2, 3]])
    # history_y weights the history rows; unknown history items are ignored
    hist2 = pd.DataFrame({USER: ["zz", "zz"], ITEM: ["x", "unknown-item"]})
    s = model.score_items(["zz"], history=hist2, history_y=[4.0, 9.0])
    np.testing.assert_allclose(s, [[4, 8, 12]])
    items, scores = model.recommend(["a"], k=3, history=hist)
    assert np.isneginf(scores[0]).sum() == 3  # x, y from training and z from history


def test_duplicated_users_are_scored_independently(table):
    model = HistorySum().fit(table)
    hist = pd.DataFrame({USER: ["zz"], ITEM: ["y"]})
    s = model.score_items(["zz", "a", "zz"], history=hist)
    np.testing.assert_allclose(s[0], s[2])


def test_unknown_user_without_history_falls_back_or_errors(table):
    model = HistorySum().fit(table)
    s = model.score_items(["zz"])
    np.testing.assert_allclose(s, [model.item_popularity_])
    with pytest.raises(ValueError, match="zz"):
        model.recommend(["zz"], on_unknown="error")
    hist = pd.DataFrame({USER: ["zz"], ITEM: ["x"]})
    model.recommend(["zz"], history=hist, on_unknown="error")  # fold-in: no error


def test_two_dimensional_candidates(table):
    model = HistorySum().fit(table)
    cand = np.array([["z", "x"], ["y", "z"]], dtype=object)
    items, scores = model.recommend(["a", "b"], k=2, candidates=cand)
    # a has seen x (masked), keeps z; b has seen y and z: nothing left
    assert items[0, 0] == "z" and np.isneginf(scores[0, 1])
    assert np.isneginf(scores[1]).all()
    s = model.score_items(["a", "b"], cand)
    np.testing.assert_allclose(s, [[6, 2], [4, 6]])


@pytest.mark.parametrize("batch_size", [1, 2, 7])
def test_results_do_not_depend_on_batch_size(batch_size):
    data = make_interactions(n_users=20, n_items=15, random_state=3)
    model = HistorySum().fit(data.X)
    users = model.user_ids_
    ref = model.recommend(users, k=5)
    got = model.recommend(users, k=5, batch_size=batch_size)
    np.testing.assert_array_equal(ref[1], got[1])
    np.testing.assert_array_equal(ref[0][np.isfinite(ref[1])], got[0][np.isfinite(got[1])])


def test_predict_requires_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Popularity().recommend([1])
    with pytest.raises(NotFittedError):
        Popularity().predict(np.array([[1, 2]]))


def test_default_predict_pairs_uses_score_items(table):
    model = HistorySum().fit(table)
    pred = model.predict(pd.DataFrame({USER: ["a", "b", "c"], ITEM: ["z", "x", "y"], TIME: 0}))
    np.testing.assert_allclose(pred, [2 * 3, 2 * 1, 1 * 2])


class _TorchTagged(Popularity):
    """Test-only: a recommender with the torch tag and a device parameter."""

    def __init__(self, device="cpu"):
        self.device = device

    def __skrec_tags__(self):
        return RecommenderTags(fold_in=True, torch=True)


@pytest.mark.parametrize("device, expected", [("cpu", False), ("cuda", True), ("cuda:1", True)])
def test_torch_models_are_non_deterministic_on_cuda(device, expected):
    # The tag reads the parameter only (no CUDA needed); fit would resolve it.
    assert _TorchTagged(device).__sklearn_tags__().non_deterministic is expected
    assert Popularity().__sklearn_tags__().non_deterministic is False


def test_recommend_as_frame_is_the_long_table_of_the_arrays():
    import skrec
    from skrec.baselines import Popularity

    X = pd.DataFrame({"user": ["a", "a", "b", "c", "c", "c"],
                      "item": ["x", "y", "x", "y", "z", "w"]})
    est = Popularity().fit(X)
    users = np.array(["a", "b", "new"], dtype=object)
    items, scores, fallback = est.recommend(users, k=3, return_fallback=True)
    frame = est.recommend(users, k=3, as_frame=True, return_fallback=True)
    assert list(frame.columns) == ["user", "rank", "item", "score", "fallback"]
    for r, u in enumerate(users):
        sub = frame[frame["user"] == u]
        finite = np.isfinite(scores[r])
        assert sub["item"].tolist() == items[r][finite].tolist()
        assert sub["rank"].tolist() == list(range(1, int(finite.sum()) + 1))
        np.testing.assert_allclose(sub["score"], scores[r][finite])
        assert (sub["fallback"] == fallback[r]).all()
    # The free function passes it through (and a Pipeline would too).
    same = skrec.recommend(est, users, k=3, as_frame=True)
    assert list(same.columns) == ["user", "rank", "item", "score"]
    assert len(same) == len(frame)


def test_score_items_as_frame_is_the_long_table_of_the_arrays():
    import skrec
    from skrec.baselines import Popularity

    X = pd.DataFrame({"user": ["a", "a", "b", "c", "c", "c"],
                      "item": ["x", "y", "x", "y", "z", "w"]})
    est = Popularity().fit(X)
    users = np.array(["a", "b", "new"], dtype=object)
    # whole catalog, one candidate list, one list per user
    cases = [(None, [list(est.item_ids_)] * 3), (["z", "x"], [["z", "x"]] * 3),
             ([["x", "y"], ["w", "z"], ["y", "w"]], [["x", "y"], ["w", "z"], ["y", "w"]])]
    for candidates, expected_items in cases:
        scores, fallback = est.score_items(users, candidates, return_fallback=True)
        frame = est.score_items(users, candidates, as_frame=True, return_fallback=True)
        assert list(frame.columns) == ["user", "item", "score", "fallback"]
        assert len(frame) == scores.size
        for r, u in enumerate(users):
            sub = frame[frame["user"] == u]
            assert sub["item"].tolist() == expected_items[r]
            np.testing.assert_allclose(sub["score"], scores[r])
            assert (sub["fallback"] == fallback[r]).all()
    assert frame.loc[frame["user"] == "new", "fallback"].all()
    assert not frame.loc[frame["user"] == "a", "fallback"].any()
    # Without return_fallback the column is absent; the free function passes it on.
    same = skrec.score_items(est, users, ["z", "x"], as_frame=True)
    assert list(same.columns) == ["user", "item", "score"]
    np.testing.assert_allclose(same["score"], est.score_items(users, ["z", "x"]).ravel())
    # An empty query gives an empty frame with the same columns.
    empty = est.score_items(np.array([], dtype=object), as_frame=True, return_fallback=True)
    assert list(empty.columns) == ["user", "item", "score", "fallback"]
    assert len(empty) == 0


def test_score_items_as_frame_batches_do_not_change_it():
    from skrec.datasets import make_interactions
    from skrec.neighbors import ItemKNN

    data = make_interactions(n_users=15, n_items=12, random_state=0)
    est = ItemKNN().fit(data.X)
    users = np.arange(15)
    whole = est.score_items(users, as_frame=True)
    pd.testing.assert_frame_equal(whole, est.score_items(users, as_frame=True, batch_size=4))
    assert whole["item"].tolist() == list(est.item_ids_) * 15
