"""Tests of skrec.compose: SideTable, SideFeatureJoiner, make_side_feature_transformer."""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from pandas.testing import assert_frame_equal
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, QuantileTransformer, StandardScaler

import skrec
from skrec.baselines import Popularity
from skrec.compose import SideFeatureJoiner, SideTable, make_side_feature_transformer
from skrec.datasets import make_interactions


@pytest.fixture
def tables():
    users = pd.DataFrame({"user": [10, 20, 30], "age": [25, 35, 45], "vip": [True, False, True]})
    items = pd.DataFrame(
        {"item": ["a", "b"], "genre": ["rock", "jazz"], "price": [1.5, 2.5]}
    )
    return SideTable(users, key="user"), SideTable(items, key="item")


# ------------------------------------------------------------------ SideTable
def test_side_table_lookup_by_hand(tables):
    users, _ = tables
    got = users.lookup([30, 99, 10, 30])
    assert got.index.tolist() == [30, 99, 10, 30]
    assert got["age"].tolist()[0] == 45.0 and got["age"].tolist()[2:] == [25.0, 45.0]
    assert np.isnan(got["age"].iloc[1]) and np.isnan(got["vip"].iloc[1])
    # Integer and boolean columns are float64 so that unknown ids can be NaN.
    assert users.frame.dtypes.tolist() == [np.float64, np.float64]
    assert users.columns == ["age", "vip"] and users.key == "user" and len(users) == 3


def test_side_table_key_in_index():
    frame = pd.DataFrame({"genre": ["x", "y"]}, index=pd.Index([5, 6], name="movieId"))
    table = SideTable(frame, key="movieId")
    assert table.columns == ["genre"]
    assert table.lookup([6, 5])["genre"].tolist() == ["y", "x"]


def test_side_table_is_immutable(tables):
    frame = pd.DataFrame({"user": [1, 2], "score": [0.5, 0.7]})
    table = SideTable(frame, key="user")
    frame.loc[0, "score"] = 100.0  # the caller's frame changes later
    view = table.frame
    view.loc[1, "score"] = -1.0  # so does the frame handed out
    assert table.lookup([1, 2])["score"].tolist() == [0.5, 0.7]
    with pytest.raises(AttributeError, match="immutable"):
        table.key = "other"
    with pytest.raises(AttributeError, match="immutable"):
        del table._frame


def test_side_table_bad_input():
    with pytest.raises(ValueError, match="no column 'user'"):
        SideTable(pd.DataFrame({"uid": [1, 2], "f": [0, 1]}), key="user")
    with pytest.raises(ValueError, match=r"duplicated id\(s\), e.g. \[2\]"):
        SideTable(pd.DataFrame({"user": [1, 2, 2], "f": [0, 1, 2]}), key="user")
    with pytest.raises(ValueError, match="missing id"):
        SideTable(pd.DataFrame({"user": [1.0, np.nan], "f": [0, 1]}), key="user")
    with pytest.raises(TypeError, match="DataFrame"):
        SideTable(np.zeros((2, 2)), key="user")
    with pytest.raises(TypeError, match="key must be a column name"):
        SideTable(pd.DataFrame({"user": [1]}), key=0)
    with pytest.raises(TypeError):
        SideTable(pd.DataFrame({"user": [1]}), "user")  # key is keyword-only


def test_side_table_copy_clone_pickle(tables):
    users, _ = tables
    assert clone(users, safe=False) is users
    assert copy.copy(users) is users and copy.deepcopy(users) is users
    back = pickle.loads(pickle.dumps(users))
    assert back is not users and repr(back) == repr(users)
    assert_frame_equal(back.frame, users.frame)


# ---------------------------------------------------------- SideFeatureJoiner
def test_joiner_by_hand(tables):
    users, items = tables
    X = pd.DataFrame(
        {"user": [30, 10, 99, 30], "item": ["b", "a", "a", "zz"], "timestamp": [4, 3, 2, 1]},
        index=[7, 7, 1, 0],  # duplicated, unsorted labels are kept as they are
    )
    out = SideFeatureJoiner(user_features=users, item_features=items).fit_transform(X)
    expected = X.copy()
    expected["user__age"] = [45.0, 25.0, np.nan, 45.0]
    expected["user__vip"] = [1.0, 1.0, np.nan, 1.0]
    expected["item__genre"] = ["jazz", "rock", "rock", np.nan]
    expected["item__price"] = [2.5, 1.5, 1.5, np.nan]
    expected["item__genre"] = expected["item__genre"].astype(out["item__genre"].dtype)
    assert_frame_equal(out, expected)


def test_joiner_single_table_and_none(tables):
    users, items = tables
    X = pd.DataFrame({"user": [20], "item": ["nope"]})
    out = SideFeatureJoiner(user_features=users).fit_transform(X)
    assert out.columns.tolist() == ["user", "item", "user__age", "user__vip"]
    assert out.iloc[0].tolist() == [20, "nope", 35.0, 0.0]
    # Only the item table: X needs no user column.
    out = SideFeatureJoiner(item_features=items).fit_transform(pd.DataFrame({"item": ["a"]}))
    assert out.columns.tolist() == ["item", "item__genre", "item__price"]
    out = SideFeatureJoiner().fit_transform(X)
    assert_frame_equal(out, X)


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(-50, 50)),
        min_size=1,
        max_size=40,
    )
)
def test_joiner_preserves_rows(ids):
    """Any X: same rows, same order, same index, features equal to a dict lookup."""
    user_map = {u: float(u * 10) for u in range(4)}  # users 4..6 are unknown
    item_map = {i: f"g{i % 2}" for i in range(0, 7, 2)}  # odd items are unknown
    users = SideTable(
        pd.DataFrame({"user": list(user_map), "f": list(user_map.values())}), key="user"
    )
    items = SideTable(
        pd.DataFrame({"item": list(item_map), "g": list(item_map.values())}), key="item"
    )
    X = pd.DataFrame(
        {"user": [u for u, _, _ in ids], "item": [i for _, i, _ in ids]},
        index=[lab for _, _, lab in ids],
    )
    out = SideFeatureJoiner(users, items).fit(X).transform(X)
    assert len(out) == len(X)
    assert_array_equal(out.index, X.index)
    assert_frame_equal(out[["user", "item"]], X)
    for r, (u, i, _) in enumerate(ids):
        f = out["user__f"].iloc[r]
        assert f == user_map[u] if u in user_map else np.isnan(f)
        g = out["item__g"].iloc[r]
        assert g == item_map[i] if i in item_map else pd.isna(g)


def test_joiner_feature_names_and_set_output(tables):
    users, items = tables
    X = pd.DataFrame({"user": [10, 20], "item": ["a", "b"], "timestamp": [1, 2]})
    joiner = SideFeatureJoiner(users, items).set_output(transform="pandas").fit(X)
    names = joiner.get_feature_names_out()
    assert names.tolist() == [
        "user", "item", "timestamp", "user__age", "user__vip", "item__genre", "item__price",
    ]
    out = joiner.transform(X)
    assert out.columns.tolist() == names.tolist()
    assert_array_equal(joiner.get_feature_names_out(X.columns), names)
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        joiner.get_feature_names_out(["u", "i", "t"])
    # Columns differing from fit are refused (scikit-learn's check).
    with pytest.raises(ValueError, match="feature names"):
        joiner.transform(X.rename(columns={"timestamp": "time"}))


def test_joiner_bad_input(tables):
    users, items = tables
    X = pd.DataFrame({"user": [10], "item": ["a"]})
    with pytest.raises(ValueError, match="X has no 'item' column"):
        SideFeatureJoiner(item_features=items).fit(X.drop(columns="item"))
    with pytest.raises(ValueError, match="X has no 'user' column"):
        SideFeatureJoiner(user_features=users).fit(X.rename(columns={"user": "uid"}))
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        SideFeatureJoiner(user_features=users).fit(X.to_numpy())
    with pytest.raises(ValueError, match=r"already has the column\(s\) \['user__age'\]"):
        SideFeatureJoiner(user_features=users).fit(X.assign(user__age=1))
    # A bare DataFrame is refused: it would be deep-copied by every clone.
    with pytest.raises(TypeError, match=r"user_features must be a SideTable or None, got "
                       r"DataFrame. Wrap a lookup DataFrame as SideTable\(frame, key='user'\)"):
        SideFeatureJoiner(user_features=users.frame).fit(X)
    with pytest.raises(TypeError, match="item_features must be a SideTable"):
        SideFeatureJoiner(item_features="items.csv").fit(X)
    with pytest.raises(Exception, match="not fitted"):
        SideFeatureJoiner(user_features=users).transform(X)


def test_clone_is_cheap(tables):
    """clone keeps the very same tables (and so the same frames), even inside a pipeline."""
    users, items = tables
    joiner = SideFeatureJoiner(user_features=users, item_features=items)
    cloned = clone(joiner)
    assert cloned is not joiner
    assert cloned.user_features is users and cloned.item_features is items
    assert cloned.user_features._frame is users._frame
    pipe = clone(make_pipeline(joiner, Popularity()))
    assert pipe[0].user_features._frame is users._frame
    assert copy.deepcopy(joiner).item_features is items


# -------------------------------------------------- make_side_feature_transformer
def test_preset_structure():
    ct = make_side_feature_transformer(categorical=["item__genre"], numeric="user__age")
    assert ct.remainder == "passthrough" and ct.verbose_feature_names_out is False
    (_, enc, cat_cols), (_, scaler, num_cols) = ct.transformers
    assert cat_cols == ["item__genre"] and num_cols == ["user__age"]
    assert enc.handle_unknown == "ignore" and enc.sparse_output is False
    assert isinstance(scaler, StandardScaler)
    ct = make_side_feature_transformer(numeric=["x"], scaler="quantile")
    assert isinstance(ct.transformers[0][1], QuantileTransformer)
    mine = MinMaxScaler()
    ct = make_side_feature_transformer(numeric=["x"], scaler=mine)
    assert isinstance(ct.transformers[0][1], MinMaxScaler) and ct.transformers[0][1] is not mine
    assert make_side_feature_transformer(numeric=["x"], scaler="passthrough").transformers[0][
        1
    ] == "passthrough"


def test_preset_by_hand():
    X = pd.DataFrame(
        {
            "user": ["u1", "u2", "u3", "u4"],
            "item": [1, 2, 1, 3],
            "timestamp": [10, 20, 30, 40],
            "item__genre": ["rock", "jazz", "rock", "pop"],
            "user__age": [10.0, 20.0, 30.0, 40.0],
        }
    )
    ct = make_side_feature_transformer(["item__genre"], ["user__age"]).fit(X[:3])
    out = ct.transform(X)
    assert out.columns.tolist() == [
        "item__genre_jazz", "item__genre_rock", "user__age", "user", "item", "timestamp",
    ]
    # Ids and timestamps pass through untouched, by name.
    assert_frame_equal(out[["user", "item", "timestamp"]], X[["user", "item", "timestamp"]])
    # "pop" is unseen at fit: all-zero code; ages scaled with the fit mean 20, std sqrt(200/3).
    assert out[["item__genre_jazz", "item__genre_rock"]].to_numpy().tolist() == [
        [0, 1], [1, 0], [0, 1], [0, 0],
    ]
    np.testing.assert_allclose(out["user__age"], (X["user__age"] - 20) / np.sqrt(200 / 3))


def test_preset_bad_input():
    with pytest.raises(ValueError, match=r"lists \['user'\], which the recommender reads"):
        make_side_feature_transformer(categorical=["user", "item__genre"])
    with pytest.raises(ValueError, match="both categorical and numeric"):
        make_side_feature_transformer(categorical=["a"], numeric=["a"])
    with pytest.raises(ValueError, match="at least one column"):
        make_side_feature_transformer()
    with pytest.raises(ValueError, match="scaler must be one of"):
        make_side_feature_transformer(numeric=["a"], scaler="minmax")
    with pytest.raises(ValueError, match="scaler must be one of"):
        make_side_feature_transformer(categorical=["a"], scaler="minmax")
    with pytest.raises(TypeError, match="column names"):
        make_side_feature_transformer(numeric=[0])
    with pytest.raises(ValueError, match="more than once"):
        make_side_feature_transformer(numeric=["a", "a"])


# ------------------------------------------------------------------- pipeline
@pytest.mark.parametrize("id_type", ["int", "str"])
def test_pipeline_with_side_features(id_type):
    data = make_interactions(n_users=40, n_items=25, random_state=0, id_type=id_type)
    users = SideTable(data.user_features, key="user")
    items = SideTable(data.item_features, key="item")
    pipe = make_pipeline(
        SideFeatureJoiner(user_features=users, item_features=items),
        make_side_feature_transformer(
            categorical=["user__segment", "item__genre"],
            numeric=["user__uf0", "user__uf1", "item__if0", "item__if1"],
            # a new user has NaN side features, which every skrec model refuses
            scaler=make_pipeline(SimpleImputer(), StandardScaler()),
        ),
        Popularity(),
    )
    pipe.fit(data.X)
    model = pipe[-1]
    assert model.n_features_in_ == pipe[:-1].transform(data.X).shape[1]
    assert "user__uf0" in model.feature_names_in_ and "user" in model.feature_names_in_

    # history goes through the transformers: a new user's rows (unknown to the
    # side tables, so NaN features, imputed) and a known user's extra rows.
    new_user = "nobody" if id_type == "str" else 10_000
    known = data.X["user"].iloc[0]
    history = pd.DataFrame(
        {
            "user": [new_user, new_user, known],
            "item": data.item_ids[[0, 1, 2]],
            "timestamp": [0, 1, 2],
            "session": [0, 0, 0],
        }
    )
    transformed = pipe[:-1].transform(history)
    assert len(transformed) == 3 and transformed["user"].tolist() == history["user"].tolist()
    assert not transformed["user__uf0"].isna().any()
    assert pipe[0].transform(history)["user__uf0"].isna().tolist() == [True, True, False]
    with pytest.raises(ValueError, match="side features must be finite"):
        Popularity().fit(pipe[0].transform(history))
    items_p, scores_p = skrec.recommend(pipe, [new_user, known], k=5, history=history)
    ref = Popularity().fit(data.X)
    items_r, scores_r = ref.recommend([new_user, known], k=5, history=history)
    assert_array_equal(scores_p, scores_r)
    assert_array_equal(items_p[np.isfinite(scores_p)], items_r[np.isfinite(scores_r)])
    assert not set(items_p[0]) & set(data.item_ids[[0, 1]])  # history excluded
    scores = skrec.score_items(pipe, [new_user], data.item_ids[:3], history=history)
    counts = data.X["item"].value_counts()  # Popularity's score, by hand
    assert_array_equal(scores, counts[data.item_ids[:3]].to_numpy(dtype=float)[None, :])
    assert_array_equal(pipe.predict(data.X.head()), ref.predict(data.X.head()))
