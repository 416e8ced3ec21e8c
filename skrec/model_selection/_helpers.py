"""Functions around the splitters: k-core filtering and a one-shot train/test split."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import ShuffleSplit

from .._data import check_interactions
from ..utils.validation import check_int
from ._split import (
    ColdStartItemSplit,
    ColdStartUserSplit,
    LeaveLastOut,
    UserHoldoutSplit,
    _codes,
)
from ._temporal import SessionSplit, TemporalSplit


def _take(values, idx):
    """Rows ``idx`` of a DataFrame/Series (index kept) or an array-like."""
    if hasattr(values, "iloc"):
        return values.iloc[idx]
    return np.asarray(values)[idx]


def _check_y(y, n):
    if y is not None and len(y) != n:
        raise ValueError(f"y has {len(y)} values for {n} interactions in X; pass one per row.")


def kcore_filter(X, y=None, *, k=5, user_k=None, item_k=None):
    """Keep the k-core of an interaction table: users and items with >= k rows.

    Rows of users with fewer than ``user_k`` rows and of items with fewer
    than ``item_k`` rows are removed, repeatedly, until every remaining user
    and item has enough rows (removing a user can push an item below its
    threshold, and so on). Rows are counted, so a repeated (user, item) pair
    counts twice.

    This is a preprocessing function, applied once **before**
    cross-validation (transformers in a pipeline must not drop rows); it
    removes rows knowingly and returns them filtered, it never does so
    inside a splitter or an estimator.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_interactions, n_columns)
        Interaction table (``user`` and ``item`` columns, or columns 0 and 1).
    y : array-like of shape (n_interactions,), default=None
        Targets, filtered alongside ``X``.
    k : int, default=5
        Threshold for users and items unless ``user_k`` / ``item_k`` is given.
    user_k, item_k : int, default=None
        Separate thresholds (1 disables the filter on that side).

    Returns
    -------
    X_filtered : same type as X
        The kept rows in their original order (a DataFrame keeps its index).
    y_filtered : ndarray or Series
        Only when ``y`` is given.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.model_selection import kcore_filter
    >>> X = pd.DataFrame({"user": [1, 1, 2, 2, 3], "item": [1, 2, 1, 2, 1]})
    >>> kcore_filter(X, k=2).to_dict("list")
    {'user': [1, 1, 2, 2], 'item': [1, 2, 1, 2]}
    """
    thresholds = {}
    for name, value in (("k", k), ("user_k", user_k), ("item_k", item_k)):
        if value is None and name != "k":
            continue
        thresholds[name] = check_int(value, f"kcore_filter: {name}", 1)
    user_k = thresholds.get("user_k", thresholds["k"])
    item_k = thresholds.get("item_k", thresholds["k"])
    table = check_interactions(X, name="X")
    _check_y(y, len(table))
    u, n_users = _codes(table.user)
    i, n_items = _codes(table.item)
    keep = np.ones(len(u), dtype=bool)
    while True:
        uc = np.bincount(u[keep], minlength=n_users)
        ic = np.bincount(i[keep], minlength=n_items)
        new = keep & (uc[u] >= user_k) & (ic[i] >= item_k)
        if new.sum() == keep.sum():
            break
        keep = new
    if not keep.any():
        raise ValueError(
            f"kcore_filter: no interaction survives the {user_k}-core of users and "
            f"{item_k}-core of items. Lower k (or user_k / item_k)."
        )
    idx = np.flatnonzero(keep)
    X_out = _take(X, idx)
    return X_out if y is None else (X_out, _take(y, idx))


_STRATEGIES = {
    "random": 0.2,
    "user": 0.2,
    "user_time": 0.2,
    "leave_last": 1,
    "time": 0.2,
    "cold_user": 0.2,
    "cold_item": 0.2,
    "session": 0.2,
}


def train_test_split_interactions(X, y=None, *, test_size=None, strategy="user",
                                  random_state=None):
    """Split an interaction table once into train and test parts.

    The interaction counterpart of :func:`sklearn.model_selection.train_test_split`,
    computed with the splitters of this module.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_interactions, n_columns)
        Interaction table.
    y : array-like of shape (n_interactions,), default=None
        Targets, split alongside ``X``.
    test_size : float in (0, 1) or int, default=None
        Share (or count) held out, in the unit of the strategy: rows per
        user for ``"user"`` / ``"user_time"`` / ``"leave_last"``, all rows
        for ``"random"`` / ``"time"``, users, items or sessions for
        ``"cold_user"`` / ``"cold_item"`` / ``"session"``. None means 0.2
        (1 row per user for ``"leave_last"``).
    strategy : str, default="user"
        - ``"random"``: rows at random (:class:`~sklearn.model_selection.ShuffleSplit`);
        - ``"user"``: a random share of each user's rows (:class:`UserHoldoutSplit`);
        - ``"user_time"``: each user's latest rows (:class:`UserHoldoutSplit` with
          ``order="time"``);
        - ``"leave_last"``: each user's last ``test_size`` rows (:class:`LeaveLastOut`);
        - ``"time"``: a global time cutoff (:class:`TemporalSplit`);
        - ``"cold_user"`` / ``"cold_item"``: whole users / items
          (:class:`ColdStartUserSplit`, :class:`ColdStartItemSplit`);
        - ``"session"``: the latest sessions (:class:`SessionSplit`).
    random_state : int, RandomState instance or None, default=None
        Seed of the random strategies.

    Returns
    -------
    splitting : list
        ``[X_train, X_test]``, plus ``[y_train, y_test]`` when ``y`` is given;
        each part of the type of its input (a DataFrame keeps its index).

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.model_selection import train_test_split_interactions
    >>> data = make_interactions(n_users=20, n_items=15, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split_interactions(
    ...     data.X, data.y, strategy="leave_last")
    >>> len(X_test), len(y_test)
    (20, 20)
    """
    if strategy not in _STRATEGIES:
        raise ValueError(
            f"strategy must be one of {sorted(_STRATEGIES)}, got {strategy!r}."
        )
    size = _STRATEGIES[strategy] if test_size is None else test_size
    if strategy == "random":
        cv = ShuffleSplit(1, test_size=size, random_state=random_state)
        n = len(check_interactions(X, name="X"))
        _check_y(y, n)
        train, test = next(cv.split(np.empty((n, 0))))
        train, test = np.sort(train), np.sort(test)
    else:
        cv = {
            "user": lambda: UserHoldoutSplit(size, random_state=random_state),
            "user_time": lambda: UserHoldoutSplit(size, order="time"),
            "leave_last": lambda: LeaveLastOut(n=size),
            "time": lambda: TemporalSplit(size),
            "cold_user": lambda: ColdStartUserSplit(1, test_size=size,
                                                    random_state=random_state),
            "cold_item": lambda: ColdStartItemSplit(1, test_size=size,
                                                    random_state=random_state),
            "session": lambda: SessionSplit(test_size=size),
        }[strategy]()
        train, test = next(cv.split(X, y))
    out = [_take(X, train), _take(X, test)]
    if y is not None:
        out += [_take(y, train), _take(y, test)]
    return out


__all__ = ["kcore_filter", "train_test_split_interactions"]
