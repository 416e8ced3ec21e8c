"""Conversion of a user x item matrix into an interaction table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._constants import ITEM, USER


def from_csr(matrix, *, user_ids=None, item_ids=None):
    """Turn a user x item sparse matrix into an interaction table.

    Every stored entry becomes one row; explicit zeros are kept as rows
    (with ``y = 0``), implicit zeros are not interactions.

    Parameters
    ----------
    matrix : scipy sparse matrix or array of shape (n_users, n_items)
    user_ids : array-like of shape (n_users,), default=None
        Id of each row; ``0 .. n_users - 1`` when None.
    item_ids : array-like of shape (n_items,), default=None
        Id of each column; ``0 .. n_items - 1`` when None.

    Returns
    -------
    X : DataFrame with columns ``user`` and ``item``
    y : ndarray of float64, shape (n_interactions,)
        The stored values.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from skrec.utils import from_csr
    >>> X, y = from_csr(sp.csr_array([[1, 0], [0, 5]]))
    >>> X
       user  item
    0     0     0
    1     1     1
    >>> y
    array([1., 5.])
    """
    if not sp.issparse(matrix):
        raise TypeError(f"matrix must be a scipy sparse matrix, got {type(matrix).__name__}.")
    coo = sp.coo_array(matrix)
    coo.sum_duplicates()
    n_users, n_items = coo.shape
    users = np.arange(n_users) if user_ids is None else np.asarray(user_ids)
    items = np.arange(n_items) if item_ids is None else np.asarray(item_ids)
    if len(users) != n_users:
        raise ValueError(f"user_ids has {len(users)} ids for {n_users} rows.")
    if len(items) != n_items:
        raise ValueError(f"item_ids has {len(items)} ids for {n_items} columns.")
    order = np.lexsort((coo.col, coo.row))
    X = pd.DataFrame({USER: users[coo.row[order]], ITEM: items[coo.col[order]]})
    return X, np.asarray(coo.data[order], dtype=np.float64)
