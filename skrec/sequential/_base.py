"""Torch-free helpers shared by the sequential family (and the sequence engine).

Sequences are built in one place from the training table
(:func:`ordered_sequences`) and from a scoring context
(:func:`context_prefixes`), so every session model reads them alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["context_prefixes", "ordered_sequences", "pad_left"]


def _time_rank(timestamp):
    """Integer rank of each timestamp (any sortable dtype), stable for ties."""
    ts = np.asarray(timestamp)
    rank = np.empty(len(ts), dtype=np.int64)
    rank[np.argsort(ts, kind="stable")] = np.arange(len(ts))
    return rank


def ordered_sequences(user, item, timestamp=None, session=None, min_len=2,
                      return_rows=False):
    """Training sequences: sessions (or users' histories), each in time order.

    With a ``session`` column a sequence is one (user, session) pair, else the
    whole history of a user. Rows are ordered by timestamp within a
    sequence (unsorted timestamps are sorted; ties and tables without
    timestamps keep the row order). Sequences shorter than ``min_len`` are
    dropped (a one-event session has no next item to learn from).

    Parameters
    ----------
    user, item : ndarray of int of shape (n_rows,)
        Codes.
    timestamp, session : ndarray of shape (n_rows,) or None
    min_len : int, default=2
    return_rows : bool, default=False
        Also return the input row of each returned item.

    Returns
    -------
    indptr : ndarray of int64 of shape (n_sequences + 1,)
    items : ndarray of int64
        Items of sequence ``s`` are ``items[indptr[s]:indptr[s + 1]]``.
    rows : ndarray of int64
        Only with ``return_rows``: the row of ``user`` each item comes from.

    Examples
    --------
    >>> import numpy as np
    >>> from skrec.sequential._base import ordered_sequences
    >>> ptr, items = ordered_sequences(np.array([0, 0, 0, 1]), np.array([5, 6, 7, 8]),
    ...                                timestamp=np.array([3, 1, 2, 0]))
    >>> ptr.tolist(), items.tolist()
    ([0, 3], [6, 7, 5])
    """
    user = np.asarray(user, dtype=np.int64)
    n = len(user)
    if session is None:
        owner = user
    else:
        owner = pd.factorize(pd.MultiIndex.from_arrays([user, np.asarray(session)]))[0]
    keys = [np.arange(n)]
    if timestamp is not None:
        keys.append(_time_rank(timestamp))
    keys.append(owner)
    order = np.lexsort(keys)
    owner_sorted = owner[order]
    counts = np.bincount(owner_sorted, minlength=int(owner.max()) + 1 if n else 0)
    keep_owner = counts >= min_len
    keep = keep_owner[owner_sorted] if n else np.zeros(0, dtype=bool)
    lengths = counts[keep_owner]
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    items = np.asarray(item, dtype=np.int64)[order][keep]
    if return_rows:
        return indptr, items, order[keep]
    return indptr, items


def context_prefixes(context, max_len=None):
    """The ordered prefix of each user of a :class:`~skrec.base.UserContext`.

    A user's context rows are their training rows in time order then their
    ``history`` rows in time order (items unseen at fit already dropped).
    When the rows carry sessions, the prefix is the user's **last session**
    (the trailing run of rows sharing the session of the last row): the
    session being continued. The last ``max_len`` items are kept.

    Returns
    -------
    indptr : ndarray of int64 of shape (n_users + 1,)
    items : ndarray of int64
    """
    rows = context.rows
    if rows is None:
        raise ValueError("This context has no ordered rows; the model needs sequence=True.")
    ptr = np.asarray(rows.indptr, dtype=np.int64)
    n_users = len(ptr) - 1
    ends = ptr[1:]
    starts = ptr[:-1].copy()
    if rows.session is not None and len(rows.items):
        sess = pd.factorize(np.asarray(rows.session))[0]
        # start of the run of equal sessions that each row belongs to (within an owner)
        owner = np.repeat(np.arange(n_users), np.diff(ptr))
        idx = np.arange(len(sess))
        new_run = np.r_[True, (sess[1:] != sess[:-1]) | (owner[1:] != owner[:-1])]
        run_start = np.maximum.accumulate(np.where(new_run, idx, 0))
        nonempty = ends > starts
        starts[nonempty] = run_start[ends[nonempty] - 1]
    if max_len is not None:
        starts = np.maximum(starts, ends - max_len)
    lengths = ends - starts
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    idx = np.arange(indptr[-1], dtype=np.int64) - np.repeat(indptr[:-1] - starts, lengths)
    return indptr, np.asarray(rows.items, dtype=np.int64)[idx]


def pad_left(indptr, items, width, pad):
    """Sequences as a left-padded matrix of shape (n, width) (the last ``width`` items)."""
    indptr = np.asarray(indptr, dtype=np.int64)
    n = len(indptr) - 1
    out = np.full((n, width), pad, dtype=np.int64)
    lengths = np.minimum(np.diff(indptr), width)
    if n == 0 or lengths.sum() == 0:
        return out
    owner = np.repeat(np.arange(n), lengths)
    offs = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    src = np.repeat(indptr[1:] - lengths, lengths) + offs
    col = width - np.repeat(lengths, lengths) + offs
    out[owner, col] = items[src]
    return out
