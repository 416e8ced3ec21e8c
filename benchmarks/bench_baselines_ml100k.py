"""Popularity, ItemKNN and UserKNN on MovieLens 100K (implicit, full ranking).

Protocol (the one of the EASE and ALS figures in BENCHMARKS.md): every rating
of ``ml-100k/u.data`` is a positive; per user, the rows are shuffled with one
``RandomState(0)`` permutation per user (users in increasing id order) and
``round(0.2 * n)`` of them go to the test set. Every user is ranked over the
full catalog with training items excluded; NDCG@10 is binary with the ideal
DCG over ``min(10, |test|)``, Recall@20 is hits / ``min(20, |test|)``.

The neighbourhood sizes and shrinkages are chosen on a validation split of
the training set (the same procedure with ``RandomState(1)``), never on the
test set; the chosen values are reported. Fit time is the median of 3 fits;
``fit_peak_mb`` is the peak of memory allocated during one fit
(tracemalloc), ``peak_rss_mb`` the process peak so far.
"""

from __future__ import annotations

import itertools
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from _common import emit, median, peak_rss_mb, require_shared, timed

from skrec.baselines import Popularity
from skrec.neighbors import ItemKNN, UserKNN

GRIDS = {
    "Popularity": [{}],
    "ItemKNN": [
        {"n_neighbors": n, "shrinkage": s, "similarity": "asymmetric", "asymmetry": a}
        for n, s, a in itertools.product([50, 100, 200, 400], [0.0, 10.0, 50.0], [0.5, 0.75, 1.0])
    ],
    "UserKNN": [
        {"n_neighbors": n, "shrinkage": s, "similarity": "asymmetric", "asymmetry": a}
        for n, s, a in itertools.product([25, 50, 100, 200], [0.0, 10.0], [0.25, 0.5, 0.75])
    ],
}
MODELS = {"Popularity": Popularity, "ItemKNN": ItemKNN, "UserKNN": UserKNN}


def load(path):
    return pd.read_csv(
        path / "u.data", sep="\t", names=["user", "item", "rating", "timestamp"],
        usecols=["user", "item"],
    )


def per_user_split(X, seed, test_fraction=0.2):
    """Boolean test mask: round(test_fraction * n) shuffled rows per user."""
    rng = np.random.RandomState(seed)
    test = np.zeros(len(X), dtype=bool)
    groups = X.groupby("user", sort=True).indices
    for user in sorted(groups):
        idx = groups[user]
        n_test = int(round(test_fraction * len(idx)))
        test[rng.permutation(idx)[:n_test]] = True
    return test


def evaluate(model, test):
    """(NDCG@10, Recall@20) over the users of ``test``, training items excluded."""
    users = np.sort(test["user"].unique())
    items, _ = model.recommend(users, k=20)
    pos = {u: r for r, u in enumerate(users)}
    rows = test["user"].map(pos).to_numpy()
    n_rel = np.bincount(rows, minlength=len(users))
    truth = set(zip(rows.tolist(), test["item"].tolist(), strict=True))
    hits = np.array(
        [[(r, it) in truth for it in items[r]] for r in range(len(users))], dtype=float
    )
    discounts = 1.0 / np.log2(np.arange(2, 12))
    dcg = hits[:, :10] @ discounts
    ideal = np.cumsum(discounts)[np.minimum(n_rel, 10) - 1]
    ndcg = float(np.mean(dcg / ideal))
    recall = float(np.mean(hits.sum(axis=1) / np.minimum(n_rel, 20)))
    return ndcg, recall


def fit_peak_mb(make):
    tracemalloc.start()
    make()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main():
    path = require_shared("ml-100k")
    X = load(path)
    test_mask = per_user_split(X, seed=0)
    train, test = X[~test_mask], X[test_mask]
    val_mask = per_user_split(train, seed=1)
    sub, val = train[~val_mask], train[val_mask]

    for name, cls in MODELS.items():
        t0 = time.perf_counter()
        tried = []
        for params in GRIDS[name]:
            tried.append((evaluate(cls(**params).fit(sub), val)[0], params))
        best_val, best = max(tried, key=lambda t: t[0])
        tune_s = time.perf_counter() - t0

        model, times = timed(lambda cls=cls, best=best: cls(**best).fit(train), repeat=3)
        t0 = time.perf_counter()
        ndcg, recall = evaluate(model, test)
        eval_s = time.perf_counter() - t0
        emit(
            benchmark=Path(__file__).stem,
            model=name,
            params=best,
            grid_size=len(GRIDS[name]),
            val_ndcg10=round(best_val, 4),
            ndcg10=round(ndcg, 4),
            recall20=round(recall, 4),
            fit_s=round(median(times), 4),
            fit_times_s=[round(t, 4) for t in times],
            recommend_eval_s=round(eval_s, 3),
            tune_s=round(tune_s, 2),
            fit_peak_mb=round(fit_peak_mb(lambda cls=cls, best=best: cls(**best).fit(train)), 1),
            peak_rss_mb=round(peak_rss_mb(), 1),
            n_train=len(train),
            n_test=len(test),
        )


if __name__ == "__main__":
    main()
