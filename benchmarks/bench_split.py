"""Speed of the splitters on an ML-1M-sized table (6,040 users, 3,706 items, 1M rows).

Each skrec splitter is timed next to a scikit-learn or pandas peer doing the
closest job in the same run: ShuffleSplit (rows at random), a pandas
``groupby(user).sample`` per-user holdout, and GroupKFold (user folds).
Prints one JSON line per splitter: median seconds for one split and the
ratio to its peer.
"""

from __future__ import annotations

import numpy as np
from _common import emit, median, peak_rss_mb, timed
from sklearn.model_selection import GroupKFold, ShuffleSplit

from skrec import USER
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
)


def first_split(cv, X, **kw):
    return next(iter(cv.split(X, **kw)))


def main():
    X = make_interactions(6040, 3706, 1_000_209, random_state=0).X
    n = len(X)
    peers = {
        "ShuffleSplit": lambda: first_split(ShuffleSplit(1, test_size=0.2, random_state=0),
                                            np.empty((n, 0))),
        "pandas groupby.sample": lambda: X.groupby(USER).sample(frac=0.2, random_state=0).index,
        "GroupKFold": lambda: first_split(GroupKFold(5), np.empty((n, 0)), groups=X[USER]),
    }
    peer_times = {name: median(timed(fn, repeat=3)[1]) for name, fn in peers.items()}
    for name, t in peer_times.items():
        emit(benchmark="split", splitter=name, rows=n, median_s=round(t, 4))
    cases = [
        (UserHoldoutSplit(0.2, random_state=0), "pandas groupby.sample"),
        (UserHoldoutSplit(0.2, order="time"), "pandas groupby.sample"),
        (UserKFold(5, random_state=0), "pandas groupby.sample"),
        (LeaveLastOut(), "pandas groupby.sample"),
        (TemporalSplit(0.2), "ShuffleSplit"),
        (SessionSplit(test_size=0.2), "ShuffleSplit"),
        (ColdStartUserSplit(5, random_state=0), "GroupKFold"),
        (ColdStartItemSplit(5, random_state=0), "GroupKFold"),
    ]
    for cv, peer in cases:
        _, times = timed(first_split, cv, X, repeat=3)
        t = median(times)
        emit(benchmark="split", splitter=" ".join(repr(cv).split()), rows=n,
             median_s=round(t, 4), peer=peer, ratio_to_peer=round(t / peer_times[peer], 3))
    _, times = timed(kcore_filter, X, k=5, repeat=3)
    emit(benchmark="split", splitter="kcore_filter(k=5)", rows=n, median_s=round(median(times), 4),
         peak_rss_mb=round(peak_rss_mb(), 1))


if __name__ == "__main__":
    main()
