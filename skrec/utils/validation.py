"""Validation helpers shared by estimators, scorers and splitters."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp


def check_k(k, name="k"):
    """Check a list length: a positive integer (bools refused)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {k!r} ({type(k).__name__}).")
    if k <= 0:
        raise ValueError(f"{name} must be a positive integer, got {k}.")
    return int(k)


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
