"""Cross-validation splitters over interaction tables.

Every splitter subclasses :class:`sklearn.model_selection.BaseCrossValidator`,
so it can be passed as ``cv=`` to :class:`~sklearn.model_selection.GridSearchCV`,
:func:`~sklearn.model_selection.cross_validate` and friends. A splitter reads
the ``user``, ``item``, ``timestamp`` and ``session`` columns of ``X`` by name
(a 2-D array has the user in column 0 and the item in column 1), takes no
``groups``, and checks its parameters and the data in :meth:`split` (its
``__init__`` only stores the parameters, as in scikit-learn).

All splits are vectorized with numpy and pandas: there is no Python loop over
users, so a table the size of MovieLens-1M splits in a fraction of a second.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator, KFold, ShuffleSplit
from sklearn.utils import check_random_state

from .._constants import SESSION, TIME, USER
from .._data import check_interactions, position_in_group
from ..utils.validation import check_int

# --------------------------------------------------------------------- helpers


def _read(X, *, need_time=None, need_session=None):
    """Validate ``X`` (an interaction table) and return its columns.

    ``need_time`` / ``need_session`` name the splitter (and its option) that
    needs the column, for the error message.
    """
    table = check_interactions(X, name="X")
    if need_time and table.timestamp is None:
        raise ValueError(
            f"{need_time} orders rows by time, but X has no {TIME!r} column. Pass a DataFrame "
            f"with a column named skrec.TIME ({TIME!r}), or use a split that does not need "
            "time (e.g. UserHoldoutSplit(order='random'))."
        )
    if need_session and table.session is None:
        raise ValueError(
            f"{need_session} needs a {SESSION!r} column in X. Pass a DataFrame with a column "
            f"named skrec.SESSION ({SESSION!r}), e.g. one session id per row."
        )
    return table


def _time_key(timestamp):
    """A sortable array standing for the timestamps.

    Numbers and datetimes are used as they are; any other comparable values
    (strings, Timestamp objects) are replaced by their dense rank.
    """
    ts = np.asarray(timestamp)
    if ts.dtype.kind in "iufmM":
        return ts
    codes, uniques = pd.factorize(pd.Series(ts), sort=False)
    try:
        order = np.argsort(np.asarray(uniques, dtype=object), kind="stable")
    except TypeError as exc:
        raise TypeError(
            f"X[{TIME!r}] must hold mutually comparable values (numbers or datetimes): {exc}"
        ) from None
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes]


def _codes(values):
    codes, uniques = pd.factorize(pd.Series(values, copy=False), sort=False)
    return codes.astype(np.int64), len(uniques)


def _check_int(value, name, minimum, owner):
    return check_int(value, f"{owner}: {name}", minimum)


def _check_size(value, name, owner, *, allow_none=False):
    """A fraction in (0, 1) or a positive count; returns (kind, value)."""
    if value is None and allow_none:
        return None, None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value >= 1:
            return "count", int(value)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        if 0.0 < value < 1.0:
            return "fraction", float(value)
    raise ValueError(
        f"{owner}: {name} must be a fraction in (0, 1) or a positive integer count, got "
        f"{value!r}."
    )


def _check_bool(value, name, owner):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{owner}: {name} must be True or False, got {value!r}.")
    return bool(value)


def _n_from(kind, size, total):
    """Number of test units out of ``total`` (int or array; a fraction rounds up)."""
    if kind == "fraction":
        return np.ceil(size * np.asarray(total)).astype(np.int64)
    return np.minimum(np.asarray(size, dtype=np.int64), total)


def _examples(values, mask, limit=5):
    return pd.unique(np.asarray(values)[mask])[:limit].tolist()


class _InteractionSplitter(BaseCrossValidator):
    """Base class: validation in :meth:`split`, folds from ``_iter_masks``."""

    def split(self, X, y=None, groups=None):
        """Generate indices to split the interactions into training and test set.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_interactions, n_columns)
            Interaction table; columns are read by name (``user``,
            ``timestamp``, ``session``), or user in column 0 of an array.
        y : array-like of shape (n_interactions,), default=None
            Ignored; present for API compatibility.
        groups : None
            Not used: the ``user`` column of ``X`` defines the groups.

        Yields
        ------
        train : ndarray of int
            Training row indices, sorted.
        test : ndarray of int
            Test row indices, sorted.
        """
        if groups is not None:
            raise ValueError(
                f"{type(self).__name__} does not take groups: it reads the {USER!r} column "
                "(and timestamp/session where needed) from X. Drop the groups argument."
            )
        if y is not None and len(y) != len(X):
            raise ValueError(
                f"y has {len(y)} values for {len(X)} interactions in X; pass one per row."
            )
        for train_mask, test_mask in self._iter_masks(X):
            yield np.flatnonzero(train_mask), np.flatnonzero(test_mask)

    def _iter_masks(self, X):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splitting iterations (``n_splits``).

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits


# ----------------------------------------------------------------- per-user splits


class UserHoldoutSplit(_InteractionSplitter):
    """Hold out a share of every user's interactions.

    For each user, ``test_size`` of their rows (a fraction, rounded up, or a
    count) go to the test set, the most recent ones (``order="time"``) or a
    random draw (``order="random"``), while at least ``min_train`` rows stay
    in training. Every test user is therefore known at fit. Users with at
    most ``min_train`` rows stay entirely in training.

    With ``n_splits > 1`` (random order only) the draw is repeated, like
    :class:`~sklearn.model_selection.ShuffleSplit`: test sets may overlap
    across splits.

    Parameters
    ----------
    test_size : float in (0, 1) or int, default=0.2
        Fraction of each user's rows (rounded up) or number of rows per user
        held out.
    n_splits : int, default=1
        Number of repeated random holdouts.
    order : {"random", "time"}, default="random"
        ``"time"`` holds out each user's latest rows (needs a ``timestamp``
        column; ties are broken by row order).
    min_train : int, default=1
        Minimum number of training rows kept for each user.
    random_state : int, RandomState instance or None, default=None
        Seed of the random draw; an int gives the same splits on every call.

    See Also
    --------
    LeaveLastOut : The last ``n`` rows of each user.
    UserKFold : Every row of every user in exactly one test fold.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.model_selection import UserHoldoutSplit
    >>> X = make_interactions(n_users=20, n_items=15, random_state=0).X
    >>> cv = UserHoldoutSplit(test_size=0.25, random_state=0)
    >>> train, test = next(cv.split(X))
    >>> len(train) + len(test) == len(X)
    True
    >>> set(X.user.iloc[test]) <= set(X.user.iloc[train])
    True
    """

    def __init__(self, test_size=0.2, *, n_splits=1, order="random", min_train=1,
                 random_state=None):
        self.test_size = test_size
        self.n_splits = n_splits
        self.order = order
        self.min_train = min_train
        self.random_state = random_state

    def _iter_masks(self, X):
        name = type(self).__name__
        kind, size = _check_size(self.test_size, "test_size", name)
        n_splits = _check_int(self.n_splits, "n_splits", 1, name)
        min_train = _check_int(self.min_train, "min_train", 0, name)
        if self.order not in ("random", "time"):
            raise ValueError(f"{name}: order must be 'random' or 'time', got {self.order!r}.")
        if self.order == "time" and n_splits > 1:
            raise ValueError(
                f"{name}: order='time' gives the same split every time; use n_splits=1, or "
                "order='random' for repeated holdouts."
            )
        table = _read(X, need_time=f"{name}(order='time')" if self.order == "time" else None)
        user, n_users = _codes(table.user)
        counts = np.bincount(user, minlength=n_users)
        n_test = _n_from(kind, size, counts)
        n_test = np.clip(np.minimum(n_test, counts - min_train), 0, None)
        if not n_test.any():
            raise ValueError(
                f"{name}: no user has more than min_train={min_train} rows, so nothing can be "
                "held out. Lower min_train, or give users more interactions."
            )
        rng = check_random_state(self.random_state)
        for _ in range(n_splits):
            if self.order == "time":
                pos, size = position_in_group(user, order=_time_key(table.timestamp))
                test = pos >= size - n_test[user]
            else:
                pos, _ = position_in_group(user, order=rng.random_sample(len(user)))
                test = pos < n_test[user]
            yield ~test, test


class UserKFold(_InteractionSplitter):
    """K-fold over the interactions of every user.

    Each user's rows are dealt into ``n_splits`` folds of near-equal size
    (a random order with ``shuffle=True``, row order otherwise; the fold that
    gets a user's first row is rotated from user to user so that folds stay
    balanced). Every row is in exactly one test fold, and every user keeps
    at least ``min_train`` rows in training in every fold, so every test
    user is known at fit.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds (at least 2).
    shuffle : bool, default=True
        Whether each user's rows are shuffled before being dealt.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffle (used only with ``shuffle=True``).
    min_train : int, default=1
        Minimum number of training rows per user in every fold. A user with
        ``c`` rows keeps ``c - ceil(c / n_splits)``; when that is below
        ``min_train`` :meth:`split` raises an error that names the users
        (filter them first with :func:`kcore_filter`).

    See Also
    --------
    UserHoldoutSplit : A single per-user holdout.
    ColdStartUserSplit : Folds of whole users (cold-start evaluation).

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.model_selection import UserKFold
    >>> X = make_interactions(n_users=20, n_items=15, random_state=0).X
    >>> cv = UserKFold(n_splits=2, random_state=0)
    >>> folds = [test for _, test in cv.split(X)]
    >>> sorted(list(folds[0]) + list(folds[1])) == list(range(len(X)))
    True
    """

    def __init__(self, n_splits=5, *, shuffle=True, random_state=None, min_train=1):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.min_train = min_train

    def _iter_masks(self, X):
        name = type(self).__name__
        K = _check_int(self.n_splits, "n_splits", 2, name)
        min_train = _check_int(self.min_train, "min_train", 0, name)
        shuffle = _check_bool(self.shuffle, "shuffle", name)
        table = _read(X)
        user, n_users = _codes(table.user)
        counts = np.bincount(user, minlength=n_users)
        short = counts - -(-counts // K) < min_train
        if short.any():
            need = min_train + 1
            while need - -(-need // K) < min_train:
                need += 1
            raise ValueError(
                f"{name}: {int(short.sum())} user(s) have fewer than {need} rows, too few to "
                f"keep min_train={min_train} training row(s) in each of {K} folds, e.g. "
                f"{_examples(table.user, short[user])}. Filter them first with "
                f"skrec.model_selection.kcore_filter(X, user_k={need}, item_k=1), lower "
                "min_train or n_splits, or evaluate users without training rows with "
                "ColdStartUserSplit."
            )
        if shuffle:
            rng = check_random_state(self.random_state)
            offset = rng.randint(K, size=n_users)
        else:
            rng = None
            offset = np.arange(n_users) % K
        noise = None if rng is None else rng.random_sample(len(user))
        pos, _ = position_in_group(user, order=noise)
        fold = (pos * K // counts[user] + offset[user]) % K
        for f in range(K):
            test = fold == f
            yield ~test, test


class LeaveLastOut(_InteractionSplitter):
    """Hold out the last ``n`` interactions of every user, by time.

    The classic next-item protocol (leave-one-out with ``n=1``). Needs a
    ``timestamp`` column; ties are broken by row order (a later row is
    later). A user keeps at least ``min_train`` training rows, so a user
    with ``c <= n + min_train - 1`` rows gives only ``c - min_train`` test
    rows, and one with at most ``min_train`` rows stays in training.

    Parameters
    ----------
    n : int, default=1
        Number of latest rows per user in the test set.
    min_train : int, default=1
        Minimum number of training rows per user.

    See Also
    --------
    UserHoldoutSplit : A share of each user's rows (random or latest).
    TemporalSplit : One global time cutoff.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.model_selection import LeaveLastOut
    >>> X = pd.DataFrame({"user": [1, 1, 1, 2, 2], "item": [1, 2, 3, 1, 3],
    ...                   "timestamp": [5, 9, 7, 2, 1]})
    >>> train, test = next(LeaveLastOut().split(X))
    >>> test.tolist()
    [1, 3]
    """

    def __init__(self, n=1, *, min_train=1):
        self.n = n
        self.min_train = min_train

    def _iter_masks(self, X):
        name = type(self).__name__
        n = _check_int(self.n, "n", 1, name)
        min_train = _check_int(self.min_train, "min_train", 0, name)
        table = _read(X, need_time=name)
        user, n_users = _codes(table.user)
        pos, size = position_in_group(user, order=_time_key(table.timestamp))
        n_test = np.clip(np.minimum(n, size - min_train), 0, None)
        if not n_test.any():
            raise ValueError(
                f"{name}: no user has more than min_train={min_train} rows, so nothing can be "
                "held out. Lower min_train, or give users more interactions."
            )
        test = pos >= size - n_test
        yield ~test, test

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splitting iterations: always 1.

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
        """
        return 1


# -------------------------------------------------------------- cold-start splits


class _EntityFoldSplit(_InteractionSplitter):
    """Folds of whole users (or items): K-fold, or repeated shuffles with test_size."""

    _column = "user"

    def __init__(self, n_splits=5, *, test_size=None, shuffle=True, random_state=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.shuffle = shuffle
        self.random_state = random_state

    def _iter_masks(self, X):
        name = type(self).__name__
        n_splits = _check_int(self.n_splits, "n_splits", 1 if self.test_size else 2, name)
        shuffle = _check_bool(self.shuffle, "shuffle", name)
        table = _read(X)
        codes, n_groups = _codes(getattr(table, self._column))
        entities = np.arange(n_groups)
        if self.test_size is None:
            if n_groups < n_splits:
                raise ValueError(
                    f"{name}: cannot make {n_splits} folds of {self._column}s out of "
                    f"{n_groups} distinct {self._column}(s). Lower n_splits."
                )
            cv = KFold(n_splits, shuffle=shuffle, random_state=self.random_state if shuffle
                       else None)
        else:
            _check_size(self.test_size, "test_size", name)
            if not shuffle:
                raise ValueError(
                    f"{name}: test_size draws random {self._column}s, so shuffle must be True; "
                    "use test_size=None for K-fold without shuffling."
                )
            cv = ShuffleSplit(n_splits, test_size=self.test_size, random_state=self.random_state)
        if n_groups < 2:
            raise ValueError(
                f"{name}: X has a single distinct {self._column}; a cold-start split needs at "
                f"least two (one to train on, one to test)."
            )
        for train_ids, test_ids in cv.split(entities):
            if len(train_ids) == 0 or len(test_ids) == 0:
                raise ValueError(
                    f"{name}: test_size={self.test_size!r} leaves an empty training or test "
                    f"set of {self._column}s out of {n_groups}. Change test_size."
                )
            is_test = np.zeros(n_groups, dtype=bool)
            is_test[test_ids] = True
            test = is_test[codes]
            yield ~test, test


class ColdStartUserSplit(_EntityFoldSplit):
    """Folds of whole users: every test user is unseen in training.

    Each test fold holds all rows of a group of users, so the test users
    are cold: a recommender meets them only through the interactions given
    as ``history`` (the scorers of :mod:`skrec.metrics` split each test
    user's rows into a support part, passed as history, and a query part,
    with :func:`support_query_split`). With ``test_size=None`` the users are
    dealt into ``n_splits`` folds by :class:`~sklearn.model_selection.KFold`
    (every row in exactly one test fold); with a ``test_size``, each split
    draws that share of users with :class:`~sklearn.model_selection.ShuffleSplit`.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds (or of random draws with ``test_size``).
    test_size : float in (0, 1) or int, default=None
        Share or number of users per test set (repeated random draws).
    shuffle : bool, default=True
        Whether users are shuffled before K-fold (must be True with
        ``test_size``).
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffle; an int gives the same folds on every call.

    See Also
    --------
    ColdStartItemSplit : Folds of whole items.
    UserKFold : Folds inside each user's rows (warm users).

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.model_selection import ColdStartUserSplit
    >>> X = make_interactions(n_users=20, n_items=15, random_state=0).X
    >>> cv = ColdStartUserSplit(n_splits=4, random_state=0)
    >>> train, test = next(cv.split(X))
    >>> set(X.user.iloc[train]) & set(X.user.iloc[test])
    set()
    """

    _column = "user"


class ColdStartItemSplit(_EntityFoldSplit):
    """Folds of whole items: no test item appears in training.

    Each test fold holds all rows of a group of items, for evaluating how a
    model scores items it never saw interactions of: side-feature models
    scoring the test rows with :meth:`predict` (a rating or click metric),
    or ranking them. A ranking scorer passes the test items, with the
    feature columns of their rows, as ``item_features=`` to models that can
    score items unseen at fit (the CTR family, ``ContentBased``); use
    ``make_ranking_scorer(..., cold_items="only")`` to rank the new items
    among themselves (the usual cold-start protocol). Other models cannot
    rank them: the scorer warns and counts them as misses. Folds come from
    :class:`~sklearn.model_selection.KFold` over the distinct items, or from
    :class:`~sklearn.model_selection.ShuffleSplit` with a ``test_size``.
    Users may appear on both sides.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds (or of random draws with ``test_size``).
    test_size : float in (0, 1) or int, default=None
        Share or number of items per test set (repeated random draws).
    shuffle : bool, default=True
        Whether items are shuffled before K-fold (must be True with
        ``test_size``).
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffle.

    See Also
    --------
    ColdStartUserSplit : Folds of whole users.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.model_selection import ColdStartItemSplit
    >>> X = make_interactions(n_users=20, n_items=15, random_state=0).X
    >>> train, test = next(ColdStartItemSplit(n_splits=3, random_state=0).split(X))
    >>> set(X.item.iloc[train]) & set(X.item.iloc[test])
    set()
    """

    _column = "item"
