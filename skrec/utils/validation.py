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
    """Check a 1-D array-like of user ids and return it as an ndarray."""
    if sp.issparse(users):
        raise TypeError(f"{name} must be a 1-D array-like of ids, got a sparse matrix.")
    if isinstance(users, (str, bytes)) or np.ndim(users) == 0:
        raise ValueError(
            f"{name} must be a 1-D array-like of user ids, got the scalar {users!r}; "
            f"pass [{users!r}] for one user."
        )
    arr = np.asarray(users) if not hasattr(users, "to_numpy") else users.to_numpy()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {arr.shape}.")
    return arr
