"""Validation helpers shared by estimators, scorers and splitters."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_scalar


def check_int(value, name, min_val=1, *, allow_none=False):
    """Check an integer parameter with scikit-learn's :func:`~sklearn.utils.check_scalar`.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Argument name used in the messages.
    min_val : int, default=1
        Smallest accepted value (included).
    allow_none : bool, default=False
        Whether None is accepted (and returned as None).

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        ``value`` is not an integer (bools, floats and strings included).
    ValueError
        ``value < min_val``.

    Examples
    --------
    >>> from skrec.utils.validation import check_int
    >>> check_int(3, "n_splits", 2)
    3
    """
    if value is None and allow_none:
        return None
    what = "a positive integer" if min_val == 1 else f"an integer >= {min_val}"
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be {what}, got the bool {value!r}.")
    try:
        return int(check_scalar(value, name, numbers.Integral, min_val=min_val))
    except (TypeError, ValueError) as exc:
        # check_scalar's own message ("n_splits == 1, must be >= 2.") plus the rule
        raise type(exc)(f"{name} must be {what}, got {value!r}. ({exc})") from None


def check_k(k, name="k"):
    """Check a list length: a positive integer (bools refused).

    Examples
    --------
    >>> from skrec.utils import check_k
    >>> check_k(10)
    10
    """
    return check_int(k, name, 1)


def check_users(users, name="users"):
    """Check a 1-D array-like of user ids and return it as an ndarray.

    Ids keep their type: a list such as ``["a", 2]`` stays a str and an int
    (see :func:`skrec._data.as_ids`, the one validation path for id arrays).

    Raises
    ------
    ValueError
        A scalar, an array that is not 1-D, missing (NaN / None) ids.
    TypeError
        A sparse matrix, unhashable ids (list, dict, set).
    """
    from .._data import as_ids, is_scalar_like

    if sp.issparse(users):
        raise TypeError(f"{name} must be a 1-D array-like of ids, got a sparse matrix.")
    if is_scalar_like(users):
        raise ValueError(
            f"{name} must be a 1-D array-like of user ids, got the scalar {users!r}; "
            f"pass [{users!r}] for one user."
        )
    if isinstance(users, (set, frozenset, dict)):
        raise TypeError(
            f"{name} must be an ordered 1-D array-like of user ids (list, ndarray, Series), "
            f"got a {type(users).__name__}, whose order is arbitrary."
        )
    return as_ids(users, name)
