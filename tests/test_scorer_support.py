"""support_query_split: the deterministic cold-start split used by the scorers."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skrec.model_selection import support_query_split


def test_time_order_hand_computed():
    X = pd.DataFrame({
        "user": ["a", "a", "a", "b", "b", "c", "a"],
        "item": [1, 2, 3, 1, 2, 9, 4],
        "timestamp": [4, 1, 3, 7, 7, 1, 2],
    })
    support, query = support_query_split(X, n_support=2)
    # a: times 1 (row 1), 2 (row 6) support; 3, 4 query. b: tie, row order: 3 support.
    # c: one row -> query only.
    assert support.tolist() == [1, 3, 6]
    assert query.tolist() == [0, 2, 4, 5]
    support, query = support_query_split(X, n_support=0)
    assert support.tolist() == [] and query.tolist() == list(range(7))


def test_random_order_is_seeded_and_needs_no_timestamp():
    X = np.array([[u, i] for u in range(5) for i in range(6)])
    a = support_query_split(X, n_support=3, order="random", random_state=0)
    b = support_query_split(X, n_support=3, order="random", random_state=0)
    c = support_query_split(X, n_support=3, order="random", random_state=1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    assert np.bincount(X[a[0], 0]).tolist() == [3] * 5


def test_bad_input():
    X = pd.DataFrame({"user": [1], "item": [2]})
    with pytest.raises(ValueError, match="timestamp"):
        support_query_split(X)
    with pytest.raises(ValueError, match="n_support"):
        support_query_split(X, n_support=-1, order="random")
    with pytest.raises(ValueError, match="order"):
        support_query_split(X, order="first")
    empty = support_query_split(X.iloc[:0], order="random")
    assert [len(e) for e in empty] == [0, 0]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 6))
def test_partition_properties(seed, n_support):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    X = pd.DataFrame({"user": rng.integers(0, 8, n), "item": rng.integers(0, 20, n),
                      "timestamp": rng.integers(0, 10, n)})
    support, query = support_query_split(X, n_support=n_support)
    assert np.array_equal(np.sort(np.r_[support, query]), np.arange(n))
    counts = X["user"].value_counts()
    s_counts = X["user"].iloc[support].value_counts().reindex(counts.index, fill_value=0)
    expected = np.where(counts > n_support, n_support, counts - 1)
    assert np.array_equal(s_counts.to_numpy(), expected)
    # every support row of a user is no later than any of their query rows
    t = X["timestamp"].to_numpy()
    u = X["user"].to_numpy()
    for user in np.unique(u):
        s_t, q_t = t[support][u[support] == user], t[query][u[query] == user]
        if len(s_t) and len(q_t):
            assert s_t.max() <= q_t.min()
