"""Time-ordered splitters: a global cutoff (or windows) and the latest sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._constants import TIME
from ._split import (
    _check_bool,
    _check_int,
    _check_size,
    _codes,
    _InteractionSplitter,
    _n_from,
    _read,
    _time_key,
)

# ------------------------------------------------------------------ time splits


def _window_starts(n_units, n_windows, width, owner, unit):
    """Start positions of ``n_windows`` consecutive windows at the end of ``n_units``."""
    starts = n_units - (n_windows - np.arange(n_windows)) * width
    if starts[0] <= 0:
        raise ValueError(
            f"{owner}: {n_windows} test window(s) of {width} {unit} leave nothing for training "
            f"out of {n_units} {unit}. Lower test_size or n_splits."
        )
    return starts


class TemporalSplit(_InteractionSplitter):
    """Split on a global time cutoff: train on the past, test on the future.

    With ``n_splits=1``, the test set is every row at or after the cutoff:
    ``cutoff`` itself, or the time that leaves the latest ``test_size`` of
    the rows in the test set. With ``n_splits > 1`` the latest part of the
    timeline is cut into ``n_splits`` consecutive test windows of
    ``test_size`` rows each (like :class:`~sklearn.model_selection.TimeSeriesSplit`),
    or ``cutoff`` is a sequence of increasing cutoffs, one per window. Each
    fold trains on the rows before its window: all of them with
    ``expanding=True`` (an expanding window), or the same number of rows as
    the first fold (a sliding window) with ``expanding=False``. Rows after
    the test window are in neither set.

    Rows with equal timestamps always fall on the same side, so every
    training row is strictly earlier than every test row of its fold (a
    window may then hold a few more rows than asked). Users and items of the
    test window may be unseen in training: that is the point of a global
    split.

    Parameters
    ----------
    test_size : float in (0, 1) or int, default=None
        Fraction of all rows (rounded up) or number of rows per test window.
        None means 0.2 with ``n_splits=1`` and ``1 / (n_splits + 1)``
        otherwise. Not allowed together with ``cutoff``.
    cutoff : scalar or sequence of scalars, default=None
        Time(s) comparable with the ``timestamp`` column (numbers, or
        datetimes for a datetime column); test window ``i`` holds the rows
        with ``cutoff[i] <= timestamp < cutoff[i + 1]``.
    n_splits : int, default=1
        Number of test windows (with ``cutoff``: its length).
    expanding : bool, default=False
        With several windows, train on all earlier rows (True) or on a
        window of fixed length (False).

    See Also
    --------
    LeaveLastOut : The latest rows of each user.
    SessionSplit : The latest sessions.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.model_selection import TemporalSplit
    >>> X = pd.DataFrame({"user": [1, 2, 1, 3, 2], "item": [1, 1, 2, 2, 3],
    ...                   "timestamp": [1, 2, 3, 4, 5]})
    >>> train, test = next(TemporalSplit(cutoff=4).split(X))
    >>> train.tolist(), test.tolist()
    ([0, 1, 2], [3, 4])
    >>> cv = TemporalSplit(test_size=1, n_splits=2, expanding=True)
    >>> [(tr.tolist(), te.tolist()) for tr, te in cv.split(X)]
    [([0, 1, 2], [3]), ([0, 1, 2, 3], [4])]
    """

    def __init__(self, test_size=None, *, cutoff=None, n_splits=1, expanding=False):
        self.test_size = test_size
        self.cutoff = cutoff
        self.n_splits = n_splits
        self.expanding = expanding

    def _cutoffs(self):
        if self.cutoff is None:
            return None
        if isinstance(self.cutoff, (str, bytes)) or np.ndim(self.cutoff) == 0:
            return [self.cutoff]
        return list(self.cutoff)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of test windows.

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
            ``len(cutoff)`` when ``cutoff`` is a sequence, else ``n_splits``.
        """
        cutoffs = self._cutoffs()
        return self.n_splits if cutoffs is None else len(cutoffs)

    def _iter_masks(self, X):
        name = type(self).__name__
        n_splits = _check_int(self.n_splits, "n_splits", 1, name)
        expanding = _check_bool(self.expanding, "expanding", name)
        cutoffs = self._cutoffs()
        if cutoffs is not None and self.test_size is not None:
            raise ValueError(f"{name}: give either test_size or cutoff, not both.")
        if cutoffs is not None and n_splits not in (1, len(cutoffs)):
            raise ValueError(
                f"{name}: n_splits={n_splits} but {len(cutoffs)} cutoff(s) were given; leave "
                "n_splits at 1 (the number of cutoffs is used)."
            )
        if cutoffs is None:
            default = 0.2 if n_splits == 1 else 1.0 / (n_splits + 1)
            test_size = default if self.test_size is None else self.test_size
            kind, size = _check_size(test_size, "test_size", name)
        if cutoffs is not None and len(cutoffs) == 0:
            raise ValueError(f"{name}: cutoff is an empty sequence; give at least one time.")
        table = _read(X, need_time=name)
        key = _time_key(table.timestamp)
        n = len(key)
        sorted_key = np.sort(key)
        if cutoffs is None:
            width = int(_n_from(kind, size, n))
            row_starts = _window_starts(n, n_splits, width, name, "rows")
            bounds = sorted_key[row_starts]  # ties at a boundary go to the later window
            after = [key >= b for b in bounds]
        else:
            series = pd.Series(table.timestamp, copy=False)
            try:
                after = [(series >= c).to_numpy(dtype=bool) for c in cutoffs]
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"{name}: cutoff {cutoffs!r} cannot be compared with X[{TIME!r}] "
                    f"(dtype {series.dtype}): {exc}"
                ) from None
            row_starts = np.array([n - int(m.sum()) for m in after])
            if np.any(np.diff(row_starts) < 0):
                raise ValueError(f"{name}: the cutoffs must increase, got {cutoffs!r}.")
        after.append(np.zeros(n, dtype=bool))
        first_len = row_starts[0]
        for i in range(len(row_starts)):
            test = after[i] & ~after[i + 1]
            train = ~after[i]
            if not expanding and i > 0 and row_starts[i] > first_len:
                train &= key >= sorted_key[row_starts[i] - first_len]
            if not train.any() or not test.any():
                which = "training" if not train.any() else "test"
                raise ValueError(
                    f"{name}: fold {i} has an empty {which} set (all rows on one side of the "
                    "cutoff, or many rows sharing one timestamp). Move the cutoff, or change "
                    "test_size / n_splits."
                )
            yield train, test


class SessionSplit(_InteractionSplitter):
    """Hold out the latest sessions.

    Sessions (the ``session`` column, ids global across users) are ordered
    by the time of their last row (``timestamp``; ties by first appearance),
    and the latest ``test_size`` of them go to the test set, whole. With
    ``n_splits > 1`` the latest sessions are cut into ``n_splits``
    consecutive windows of ``test_size`` sessions; each fold trains on all
    sessions that end before its window (an expanding window). No session is
    ever cut in two, and every training session ends no later than any test
    session of its fold.

    Parameters
    ----------
    n_splits : int, default=1
        Number of test windows.
    test_size : float in (0, 1) or int, default=0.2
        Fraction of the sessions (rounded up) or number of sessions per test
        window.

    See Also
    --------
    TemporalSplit : A time cutoff over rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.model_selection import SessionSplit
    >>> X = pd.DataFrame({"user": [1, 1, 2, 2, 1], "item": [1, 2, 1, 3, 2],
    ...                   "session": [10, 10, 11, 11, 12],
    ...                   "timestamp": [1, 2, 3, 6, 5]})
    >>> train, test = next(SessionSplit(test_size=1).split(X))
    >>> train.tolist(), test.tolist()
    ([0, 1, 4], [2, 3])
    """

    def __init__(self, n_splits=1, *, test_size=0.2):
        self.n_splits = n_splits
        self.test_size = test_size

    def _iter_masks(self, X):
        name = type(self).__name__
        n_splits = _check_int(self.n_splits, "n_splits", 1, name)
        kind, size = _check_size(self.test_size, "test_size", name)
        table = _read(X, need_time=name, need_session=name)
        session, n_sessions = _codes(table.session)
        key = _time_key(table.timestamp)
        end = pd.Series(key, copy=False).groupby(session, sort=True).max().to_numpy()
        order = np.argsort(end, kind="stable")
        spos = np.empty(n_sessions, dtype=np.int64)
        spos[order] = np.arange(n_sessions)
        row_pos = spos[session]
        width = int(_n_from(kind, size, n_sessions))
        starts = _window_starts(n_sessions, n_splits, width, name, "sessions")
        for lo in starts:
            test = (row_pos >= lo) & (row_pos < lo + width)
            yield row_pos < lo, test
