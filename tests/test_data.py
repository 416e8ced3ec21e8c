"""Id encoding, duplicates policies and table reading."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skrec._data import (
    aggregate_duplicates,
    check_interactions,
    encode,
    encode_fit,
    position_in_group,
    to_csr,
)

ids = st.one_of(
    st.lists(st.integers(-5, 30), min_size=1, max_size=40),
    st.lists(st.text(min_size=0, max_size=3), min_size=1, max_size=40),
)


@given(ids)
def test_encode_round_trip(values):
    arr = np.array(values, dtype=object)
    codes, index = encode_fit(arr)
    assert list(index.to_numpy()[codes]) == list(arr)
    # order of first appearance
    firsts = list(dict.fromkeys(values))
    assert list(index) == firsts
    np.testing.assert_array_equal(encode(arr, index), codes)


@given(ids, ids)
def test_encode_unknown_is_minus_one(train, query):
    _, index = encode_fit(np.array(train, dtype=object))
    codes = encode(np.array(query, dtype=object), index)
    known = set(train)
    assert all((c >= 0) == (q in known) for c, q in zip(codes, query))


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.floats(-5, 5)),
             min_size=1, max_size=30),
    st.sampled_from(["mean", "sum", "first", "last"]),
)
def test_aggregate_duplicates_matches_pandas(rows, policy):
    u = np.array([r[0] for r in rows])
    i = np.array([r[1] for r in rows])
    y = np.array([r[2] for r in rows])
    kept, agg = aggregate_duplicates(u, i, y, policy)
    frame = pd.DataFrame({"u": u, "i": i, "y": y})
    expected = frame.groupby(["u", "i"], sort=False)["y"].agg(policy)
    got = dict(zip(zip(u[kept], i[kept]), agg))
    assert len(got) == len(expected) == len(kept)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value)
    assert np.all(np.diff(kept) > 0)  # original row order is kept


def test_aggregate_duplicates_rejects_unknown_policy():
    with pytest.raises(ValueError, match="duplicates must be one of"):
        aggregate_duplicates(np.array([0]), np.array([0]), None, "max")


def test_to_csr_sums_duplicates():
    m = to_csr(np.array([0, 0, 1]), np.array([1, 1, 0]), None, (2, 2))
    np.testing.assert_array_equal(m.toarray(), [[0, 2], [1, 0]])


def test_check_interactions_splits_columns():
    X = pd.DataFrame({"item": [1], "genre": ["a"], "user": [2], "timestamp": [5], "session": [0]})
    t = check_interactions(X, require_time=True, require_session=True)
    assert t.user.tolist() == [2] and t.item.tolist() == [1]
    assert t.timestamp.tolist() == [5] and t.session.tolist() == [0]
    assert list(t.features.columns) == ["genre"]
    arr = check_interactions(np.array([[1, 2, 0.5]]))
    assert list(arr.features.columns) == ["x2"]
    with pytest.raises(ValueError, match="timestamp"):
        check_interactions(X.drop(columns="timestamp"), require_time=True)
    with pytest.raises(ValueError, match="session"):
        check_interactions(X.drop(columns="session"), require_session=True)


@settings(max_examples=60, deadline=None)
@given(
    groups=st.lists(st.sampled_from(["a", "b", 3, 7, "z"]), min_size=0, max_size=40),
    data=st.data(),
)
def test_position_in_group_matches_pandas_cumcount(groups, data):
    n = len(groups)
    order = data.draw(
        st.one_of(st.none(), st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    )
    g = np.array(groups, dtype=object)
    pos, size = position_in_group(g, order=order)
    frame = pd.DataFrame({"g": g.astype(str), "key": 0 if order is None else order,
                          "row": np.arange(n)})
    ordered = frame.sort_values(["key", "row"], kind="stable")
    expected = ordered.groupby("g", sort=False).cumcount().sort_index().to_numpy()
    np.testing.assert_array_equal(pos, expected)
    np.testing.assert_array_equal(size, frame.groupby("g")["row"].transform("size").to_numpy())
    assert pos.dtype == np.int64 and size.dtype == np.int64


def test_position_in_group_orders_strings_and_refuses_missing():
    pos, size = position_in_group([1, 1, 2], order=["b", "a", "c"])
    assert pos.tolist() == [1, 0, 0] and size.tolist() == [2, 2, 1]
    with pytest.raises(ValueError, match="missing"):
        position_in_group([1, None, 2])
