"""Splitters of skrec.model_selection: properties, hand-computed cases, bad input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import check_cv, cross_validate

from skrec import ITEM, SESSION, TIME, USER
from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.model_selection import (
    ColdStartItemSplit,
    ColdStartUserSplit,
    LeaveLastOut,
    SessionSplit,
    TemporalSplit,
    UserHoldoutSplit,
    UserKFold,
    kcore_filter,
    train_test_split_interactions,
)

SETTINGS = settings(max_examples=40, deadline=None)

ALL_SPLITTERS = [
    UserHoldoutSplit(random_state=0),
    UserHoldoutSplit(order="time"),
    UserKFold(3, random_state=0),
    LeaveLastOut(),
    TemporalSplit(),
    TemporalSplit(n_splits=3, expanding=True),
    ColdStartUserSplit(3, random_state=0),
    ColdStartItemSplit(3, random_state=0),
    SessionSplit(),
]


@st.composite
def tables(draw, min_rows=1, max_rows=8, max_users=6):
    """An interaction table with string user ids, tied timestamps and sessions."""
    counts = draw(st.lists(st.integers(min_rows, max_rows), min_size=1, max_size=max_users))
    user = np.repeat(np.arange(len(counts)), counts)
    n = len(user)
    perm = np.asarray(draw(st.permutations(range(n))), dtype=np.int64)
    ints = st.lists(st.integers(0, 9), min_size=n, max_size=n)
    return pd.DataFrame(
        {
            USER: np.array([f"u{j}" for j in user[perm]], dtype=object),
            ITEM: np.asarray(draw(ints)),
            TIME: np.asarray(draw(ints)),
            SESSION: np.asarray(draw(ints)),
        }
    )


def _per_user(X, idx):
    return X[USER].iloc[idx].value_counts()


def _check_partition_of(train, test, n):
    assert len(np.intersect1d(train, test)) == 0
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    assert train.min(initial=0) >= 0 and max(train.max(initial=0), test.max(initial=0)) < n


def _time_order(X):
    """(timestamp, row) pairs, the order splitters use (ties by row order)."""
    return X[TIME].to_numpy() * len(X) + np.arange(len(X))


# ------------------------------------------------------------------- UserHoldoutSplit


@SETTINGS
@given(X=tables(), test_size=st.sampled_from([0.2, 0.5, 0.9, 1, 3]),
       min_train=st.integers(0, 3), order=st.sampled_from(["random", "time"]))
def test_user_holdout_properties(X, test_size, min_train, order):
    counts = X[USER].value_counts()
    cv = UserHoldoutSplit(test_size, order=order, min_train=min_train, random_state=0)
    if (counts <= min_train).all():
        with pytest.raises(ValueError, match="min_train"):
            list(cv.split(X))
        return
    (train, test), = list(cv.split(X))
    _check_partition_of(train, test, len(X))
    assert len(train) + len(test) == len(X)
    n_tr = _per_user(X, train).reindex(counts.index, fill_value=0)
    n_te = _per_user(X, test).reindex(counts.index, fill_value=0)
    want = np.ceil(test_size * counts) if test_size < 1 else np.minimum(test_size, counts)
    want = np.clip(np.minimum(want, counts - min_train), 0, None)
    np.testing.assert_array_equal(n_te.to_numpy(), want.to_numpy())
    assert (n_tr >= np.minimum(min_train, counts)).all()
    if order == "time":
        key = _time_order(X)
        for u in counts.index:
            tr = key[train][X[USER].iloc[train].to_numpy() == u]
            te = key[test][X[USER].iloc[test].to_numpy() == u]
            if len(tr) and len(te):
                assert tr.max() < te.min()


@SETTINGS
@given(X=tables(min_rows=2), seed=st.integers(0, 2**31 - 1))
def test_user_holdout_reproducible(X, seed):
    cv = UserHoldoutSplit(0.5, n_splits=3, random_state=seed)
    first = [t.tolist() for _, t in cv.split(X)]
    assert first == [t.tolist() for _, t in cv.split(X)]
    assert len(first) == cv.get_n_splits(X) == 3


def test_user_holdout_hand_computed():
    X = pd.DataFrame({USER: [1, 1, 1, 1, 2, 2, 3], ITEM: [1, 2, 3, 4, 1, 2, 1],
                      TIME: [4, 3, 2, 1, 1, 2, 1]})
    # ceil(0.5 * 4) = 2 latest rows of user 1, 1 of user 2, none of user 3 (1 row).
    train, test = next(UserHoldoutSplit(0.5, order="time").split(X))
    assert test.tolist() == [0, 1, 5]
    assert train.tolist() == [2, 3, 4, 6]


def test_user_holdout_random_state_changes_split():
    X = make_interactions(n_users=30, n_items=20, random_state=0).X
    a = next(UserHoldoutSplit(random_state=0).split(X))[1]
    b = next(UserHoldoutSplit(random_state=1).split(X))[1]
    assert not np.array_equal(a, b)


# -------------------------------------------------------------------------- UserKFold


@SETTINGS
@given(X=tables(min_rows=1), K=st.integers(2, 4), min_train=st.integers(0, 2),
       shuffle=st.booleans())
def test_user_kfold_partition(X, K, min_train, shuffle):
    cv = UserKFold(K, shuffle=shuffle, random_state=0, min_train=min_train)
    counts = X[USER].value_counts()
    if (counts - np.ceil(counts / K) < min_train).any():
        with pytest.raises(ValueError, match="kcore_filter"):
            list(cv.split(X))
        return
    folds = list(cv.split(X))
    assert len(folds) == cv.get_n_splits() == K
    tests = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(len(X)))  # covering and disjoint
    for train, test in folds:
        _check_partition_of(train, test, len(X))
        assert len(train) + len(test) == len(X)
        n_tr = _per_user(X, train).reindex(counts.index, fill_value=0)
        assert (n_tr >= min_train).all()
        n_te = _per_user(X, test).reindex(counts.index, fill_value=0)
        assert (n_te <= np.ceil(counts / K)).all()  # dealt evenly inside each user


def test_user_kfold_reproducible_and_balanced():
    X = make_interactions(n_users=200, n_items=30, random_state=0).X
    cv = UserKFold(5, random_state=3)
    a = [t for _, t in cv.split(X)]
    b = [t for _, t in cv.split(X)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    sizes = np.array([len(t) for t in a])
    assert sizes.max() - sizes.min() < 0.1 * sizes.mean()


def test_user_kfold_too_few_rows_names_the_fix():
    X = pd.DataFrame({USER: [1, 1, 1, 2], ITEM: [1, 2, 3, 1]})
    with pytest.raises(ValueError, match=r"1 user\(s\) have fewer than 2 rows.*\[2\].*kcore"):
        list(UserKFold(2).split(X))
    # the same table filtered as the message suggests splits fine
    X2 = kcore_filter(X, user_k=2, item_k=1)
    assert len(list(UserKFold(2).split(X2))) == 2


# ----------------------------------------------------------------------- LeaveLastOut


@SETTINGS
@given(X=tables(), n=st.integers(1, 3), min_train=st.integers(0, 2))
def test_leave_last_out_properties(X, n, min_train):
    counts = X[USER].value_counts()
    cv = LeaveLastOut(n, min_train=min_train)
    if (counts <= min_train).all():
        with pytest.raises(ValueError, match="min_train"):
            list(cv.split(X))
        return
    (train, test), = list(cv.split(X))
    assert cv.get_n_splits() == 1
    _check_partition_of(train, test, len(X))
    key = _time_order(X)
    users = X[USER].to_numpy()
    for u, c in counts.items():
        rows = np.flatnonzero(users == u)
        want = rows[np.argsort(key[rows])][c - max(0, min(n, c - min_train)):]
        np.testing.assert_array_equal(np.intersect1d(test, rows), np.sort(want))


def test_leave_last_out_hand_computed_with_datetimes():
    X = pd.DataFrame({USER: ["a", "b", "a", "a", "b"], ITEM: [1, 2, 3, 4, 5],
                      TIME: pd.to_datetime(["2020-01-03", "2020-01-01", "2020-01-01",
                                            "2020-01-02", "2020-01-02"])})
    train, test = next(LeaveLastOut(n=2).split(X))
    assert test.tolist() == [0, 3, 4]  # "b" keeps one training row
    assert train.tolist() == [1, 2]


# ---------------------------------------------------------------------- TemporalSplit


@SETTINGS
@given(X=tables(max_rows=8), n_splits=st.integers(1, 3), expanding=st.booleans(),
       test_size=st.sampled_from([None, 0.1, 0.25, 2]))
def test_temporal_split_respects_time(X, n_splits, expanding, test_size):
    cv = TemporalSplit(test_size, n_splits=n_splits, expanding=expanding)
    try:
        folds = list(cv.split(X))
    except ValueError as exc:  # too few distinct times for the windows asked
        assert "test_size" in str(exc) or "cutoff" in str(exc)
        return
    assert len(folds) == cv.get_n_splits() == n_splits
    t = X[TIME].to_numpy()
    prev_end = -np.inf
    for train, test in folds:
        _check_partition_of(train, test, len(X))
        assert t[train].max() < t[test].min()  # strictly earlier, ties never split
        assert t[test].min() > prev_end  # windows follow each other
        prev_end = t[test].max()
        if expanding:
            np.testing.assert_array_equal(train, np.flatnonzero(t < t[test].min()))
    tests = np.concatenate([te for _, te in folds])
    assert len(np.unique(tests)) == len(tests)


def test_temporal_split_hand_computed():
    X = pd.DataFrame({USER: [1, 2, 1, 3, 2, 3], ITEM: [1, 1, 2, 2, 3, 3],
                      TIME: [6, 1, 3, 4, 2, 5]})
    (tr, te), = TemporalSplit(test_size=2).split(X)
    assert tr.tolist() == [1, 2, 3, 4] and te.tolist() == [0, 5]
    folds = list(TemporalSplit(test_size=1, n_splits=2).split(X))  # sliding, length 4
    assert [f[1].tolist() for f in folds] == [[5], [0]]
    assert [f[0].tolist() for f in folds] == [[1, 2, 3, 4], [2, 3, 4, 5]]
    folds = list(TemporalSplit(cutoff=[3, 5], expanding=True).split(X))
    assert [(a.tolist(), b.tolist()) for a, b in folds] == [
        ([1, 4], [2, 3]),
        ([1, 2, 3, 4], [0, 5]),
    ]
    folds = list(TemporalSplit(cutoff=[3, 5]).split(X))  # sliding: 2 rows before each cutoff
    assert [a.tolist() for a, _ in folds] == [[1, 4], [2, 3]]
    assert TemporalSplit(cutoff=[3, 5]).get_n_splits() == 2


def test_temporal_split_ties_stay_together_and_datetime_cutoff():
    X = pd.DataFrame({USER: [1, 2, 3, 4], ITEM: [1, 2, 3, 4],
                      TIME: pd.to_datetime(["2021-01-01", "2021-01-02", "2021-01-02",
                                            "2021-01-03"])})
    (tr, te), = TemporalSplit(test_size=2).split(X)  # the tie at 01-02 goes to test
    assert tr.tolist() == [0] and te.tolist() == [1, 2, 3]
    (tr, te), = TemporalSplit(cutoff="2021-01-03").split(X)
    assert te.tolist() == [3]
    (tr, te), = TemporalSplit(cutoff=pd.Timestamp("2021-01-02")).split(X)
    assert te.tolist() == [1, 2, 3]


def test_temporal_split_bad_cutoffs():
    X = pd.DataFrame({USER: [1, 2, 3], ITEM: [1, 2, 3], TIME: [1, 2, 3]})
    with pytest.raises(ValueError, match="empty training"):
        list(TemporalSplit(cutoff=0).split(X))
    with pytest.raises(ValueError, match="increase"):
        list(TemporalSplit(cutoff=[3, 2]).split(X))
    with pytest.raises(ValueError, match="not both"):
        list(TemporalSplit(0.5, cutoff=2).split(X))
    with pytest.raises(ValueError, match="leave nothing for training"):
        list(TemporalSplit(0.5, n_splits=2).split(X))


# -------------------------------------------------------------------- cold-start splits


@SETTINGS
@given(X=tables(max_users=8), K=st.integers(2, 3), seed=st.integers(0, 1000))
def test_cold_start_user_split_user_disjoint_partition(X, K, seed):
    cv = ColdStartUserSplit(K, random_state=seed)
    n_users = X[USER].nunique()
    if n_users < K:
        with pytest.raises(ValueError, match="Lower n_splits"):
            list(cv.split(X))
        return
    folds = list(cv.split(X))
    assert len(folds) == cv.get_n_splits() == K
    for train, test in folds:
        assert len(train) + len(test) == len(X)
        assert not set(X[USER].iloc[train]) & set(X[USER].iloc[test])
    tests = np.sort(np.concatenate([t for _, t in folds]))
    np.testing.assert_array_equal(tests, np.arange(len(X)))
    assert [t.tolist() for _, t in cv.split(X)] == [t.tolist() for _, t in folds]


@SETTINGS
@given(X=tables(max_users=8), seed=st.integers(0, 1000))
def test_cold_start_item_split_no_test_item_in_training(X, seed):
    cv = ColdStartItemSplit(2, random_state=seed)
    if X[ITEM].nunique() < 2:
        with pytest.raises(ValueError):
            list(cv.split(X))
        return
    for train, test in cv.split(X):
        assert len(test) and len(train)
        assert not set(X[ITEM].iloc[train]) & set(X[ITEM].iloc[test])


def test_cold_start_test_size_draws_share_of_users():
    X = make_interactions(n_users=40, n_items=20, random_state=0).X
    cv = ColdStartUserSplit(3, test_size=0.25, random_state=0)
    folds = list(cv.split(X))
    assert len(folds) == 3
    for train, test in folds:
        assert X[USER].iloc[test].nunique() == 10
        assert not set(X[USER].iloc[train]) & set(X[USER].iloc[test])
    with pytest.raises(ValueError, match="shuffle must be True"):
        list(ColdStartUserSplit(3, test_size=0.25, shuffle=False).split(X))


# ----------------------------------------------------------------------- SessionSplit


@SETTINGS
@given(X=tables(), test_size=st.sampled_from([0.2, 0.5, 1, 2]), n_splits=st.integers(1, 2))
def test_session_split_whole_sessions_latest_last(X, test_size, n_splits):
    cv = SessionSplit(n_splits, test_size=test_size)
    sessions = X[SESSION].to_numpy()
    try:
        folds = list(cv.split(X))
    except ValueError as exc:
        assert "leave nothing for training" in str(exc)
        assert X[SESSION].nunique() <= n_splits * (
            test_size if isinstance(test_size, int) else np.ceil(test_size * X[SESSION].nunique())
        )
        return
    assert len(folds) == cv.get_n_splits() == n_splits
    end = X.groupby(SESSION)[TIME].max()
    for train, test in folds:
        _check_partition_of(train, test, len(X))
        assert not set(sessions[train]) & set(sessions[test])  # no session cut in two
        assert end[np.unique(sessions[train])].max() <= end[np.unique(sessions[test])].min()


def test_session_split_requires_session_and_time():
    X = make_interactions(n_users=10, n_items=10, random_state=0).X
    with pytest.raises(ValueError, match="'session' column.*skrec.SESSION"):
        list(SessionSplit().split(X.drop(columns=SESSION)))
    with pytest.raises(ValueError, match="'timestamp' column.*skrec.TIME"):
        list(SessionSplit().split(X.drop(columns=TIME)))


# ----------------------------------------------------------------------- common to all


@pytest.mark.parametrize("cv", ALL_SPLITTERS, ids=repr)
def test_splitter_contract(cv):
    X = make_interactions(n_users=30, n_items=20, random_state=0).X
    folds = list(cv.split(X))
    assert len(folds) == cv.get_n_splits(X) >= 1
    for train, test in folds:
        assert train.dtype.kind == "i" and test.dtype.kind == "i"
        assert len(train) and len(test)
        assert len(np.intersect1d(train, test)) == 0
    assert check_cv(cv) is cv
    # y is accepted and ignored; groups are refused with a clear message
    assert len(list(cv.split(X, np.ones(len(X))))) == len(folds)
    with pytest.raises(ValueError, match="does not take groups"):
        list(cv.split(X, groups=X[USER]))


@pytest.mark.parametrize(
    "cv", [UserHoldoutSplit(order="time"), LeaveLastOut(), TemporalSplit()], ids=repr
)
def test_time_ordered_splits_need_timestamp(cv):
    X = make_interactions(n_users=10, n_items=10, random_state=0).X[[USER, ITEM]]
    with pytest.raises(ValueError, match="no 'timestamp' column.*skrec.TIME"):
        list(cv.split(X))
    with pytest.raises(ValueError, match="no 'timestamp' column"):
        list(cv.split(X.to_numpy()))


@pytest.mark.parametrize(
    "cv, match",
    [
        (UserHoldoutSplit(test_size=1.5), "test_size must be a fraction"),
        (UserHoldoutSplit(test_size=0), "test_size must be a fraction"),
        (UserHoldoutSplit(order="latest"), "order must be"),
        (UserHoldoutSplit(order="time", n_splits=2), "n_splits=1"),
        (UserHoldoutSplit(min_train=-1), "min_train must be an integer"),
        (UserKFold(1), "n_splits must be an integer >= 2"),
        (UserKFold(2, shuffle="yes"), "shuffle must be True or False"),
        (LeaveLastOut(n=0), "n must be a positive integer"),
        (TemporalSplit(n_splits=0), "n_splits must be"),
        (ColdStartUserSplit(1), "n_splits must be an integer >= 2"),
        (ColdStartItemSplit(test_size=-0.1), "test_size"),
        (SessionSplit(test_size=2.5), "test_size"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_bad_parameters_raise_in_split_not_init(cv, match):
    X = make_interactions(n_users=10, n_items=10, random_state=0).X
    with pytest.raises(ValueError, match=match):
        list(cv.split(X))


def test_bad_tables():
    X = pd.DataFrame({USER: [1, 2], ITEM: [1, 2], TIME: [1, 2]})
    with pytest.raises(ValueError, match="y has 3 values"):
        list(UserHoldoutSplit().split(X, np.ones(3)))
    with pytest.raises(ValueError, match="missing"):
        list(UserHoldoutSplit().split(X.rename(columns={USER: "uid"})))
    with pytest.raises(TypeError, match="from_csr"):
        import scipy.sparse as sp

        list(UserKFold().split(sp.csr_array(np.eye(3))))
    mixed = pd.DataFrame({USER: [1, 1], ITEM: [1, 2], TIME: np.array([1, "a"], dtype=object)})
    with pytest.raises(TypeError, match="comparable"):
        list(LeaveLastOut().split(mixed))


def test_array_input_reads_user_from_column_zero():
    X = np.array([[1, 10], [1, 11], [2, 10], [2, 12], [3, 11], [3, 12]])
    for train, test in ColdStartUserSplit(3, random_state=0).split(X):
        assert not set(X[train, 0]) & set(X[test, 0])
    (train, test), = UserHoldoutSplit(1).split(X)
    assert sorted(X[test, 0].tolist()) == [1, 2, 3]


# ------------------------------------------------------------------------ helpers


@SETTINGS
@given(X=tables(max_users=8), k=st.integers(1, 4))
def test_kcore_filter_properties(X, k):
    try:
        Xf, yf = kcore_filter(X, np.arange(len(X)), k=k)
    except ValueError as exc:
        assert "no interaction survives" in str(exc)
        return
    assert (Xf[USER].value_counts() >= k).all() and (Xf[ITEM].value_counts() >= k).all()
    np.testing.assert_array_equal(Xf.index.to_numpy(), yf)  # y filtered alongside X
    pd.testing.assert_frame_equal(kcore_filter(Xf, k=k), Xf)  # idempotent


def test_kcore_filter_is_iterative():
    # user 3 has 1 row -> removed; then item 3 has 1 row -> its user 2 falls to 1 row...
    X = pd.DataFrame({USER: [1, 1, 2, 2, 3, 4, 4], ITEM: [1, 2, 1, 3, 3, 1, 2]})
    Xf = kcore_filter(X, k=2)
    assert Xf.index.tolist() == [0, 1, 5, 6]
    assert kcore_filter(X, user_k=2, item_k=1).index.tolist() == [0, 1, 2, 3, 5, 6]
    arr = kcore_filter(X.to_numpy(), k=2)
    np.testing.assert_array_equal(arr, X.to_numpy()[[0, 1, 5, 6]])
    with pytest.raises(ValueError, match="no interaction survives"):
        kcore_filter(X, k=5)
    with pytest.raises(ValueError, match="user_k must be a positive integer"):
        kcore_filter(X, user_k=0)


@pytest.mark.parametrize(
    "strategy", ["random", "user", "user_time", "leave_last", "time", "cold_user", "cold_item",
                 "session"]
)
def test_train_test_split_interactions(strategy):
    data = make_interactions(n_users=30, n_items=20, random_state=0)
    X_tr, X_te, y_tr, y_te = train_test_split_interactions(
        data.X, data.y, strategy=strategy, random_state=0
    )
    assert len(X_tr) + len(X_te) == len(data.X) and len(X_te) > 0
    assert sorted(X_tr.index.tolist() + X_te.index.tolist()) == list(range(len(data.X)))
    np.testing.assert_array_equal(y_tr, data.y[X_tr.index])
    np.testing.assert_array_equal(y_te, data.y[X_te.index])
    X_tr2, X_te2 = train_test_split_interactions(data.X, strategy=strategy, random_state=0)
    pd.testing.assert_frame_equal(X_te2, X_te)
    if strategy == "leave_last":
        assert len(X_te) == data.X[USER].nunique()
    if strategy == "cold_user":
        assert not set(X_tr[USER]) & set(X_te[USER])
    with pytest.raises(ValueError, match="strategy must be one of"):
        train_test_split_interactions(data.X, strategy="users")


# ------------------------------------------------------------------ with scikit-learn


@pytest.mark.parametrize(
    "cv", [UserHoldoutSplit(random_state=0), UserKFold(3, random_state=0), LeaveLastOut()],
    ids=repr,
)
def test_splitters_as_cv_in_cross_validate(cv):
    X = make_interactions(n_users=40, n_items=25, random_state=0).X
    res = cross_validate(Popularity(), X, cv=cv, return_indices=True)
    n = cv.get_n_splits(X)
    assert len(res["test_score"]) == n
    assert np.all((res["test_score"] > 0) & (res["test_score"] <= 1))
    for (tr, te), tr2, te2 in zip(cv.split(X), res["indices"]["train"], res["indices"]["test"],
                                  strict=True):
        np.testing.assert_array_equal(tr, tr2)
        np.testing.assert_array_equal(te, te2)
