"""ML-100k ranking through skrec's own evaluation: UserHoldoutSplit + make_ranking_scorer.

The other ML-100k scripts write their split inline (floor(20%) test rows per
user); this one uses the library's public protocol (ceil(20%) per user, full
catalog, training items excluded) over three seeds and reports the median,
so the figures are what a user of skrec gets. Models: Popularity, ItemKNN and
UserKNN (settings chosen in bench_baselines_ml100k), ALS (settings chosen in
bench_ranking_ml100k) and EASE (lambda = 500).

Usage: python benchmarks/bench_protocol_ml100k.py
"""

from __future__ import annotations

import time

import numpy as np
from _common import emit, median, require_shared

from skrec import ITEM, USER
from skrec.autoencoders import EASE
from skrec.baselines import Popularity
from skrec.datasets import fetch_movielens
from skrec.factorization import ALS
from skrec.metrics import make_ranking_scorer
from skrec.model_selection import UserHoldoutSplit
from skrec.neighbors import ItemKNN, UserKNN

MODELS = {
    "Popularity": lambda: Popularity(),
    "ItemKNN": lambda: ItemKNN(100, shrinkage=10.0, similarity="asymmetric", asymmetry=1.0),
    "UserKNN": lambda: UserKNN(100, similarity="asymmetric", asymmetry=0.25),
    "ALS": lambda: ALS(64, reg=50.0, alpha=6.0, random_state=0),
    "EASE": lambda: EASE(reg=500.0),
}
METRICS = ["ndcg@10", "ndcg@100", "recall@20", "truncated_recall@20"]


def main():
    path = require_shared("ml-100k")
    X = fetch_movielens("100k", data_home=path).X[[USER, ITEM]]
    scorer = make_ranking_scorer(METRICS)
    for name, make in MODELS.items():
        per_seed, fits = [], []
        for seed in range(3):
            train, test = next(UserHoldoutSplit(test_size=0.2, random_state=seed).split(X))
            t0 = time.perf_counter()
            model = make().fit(X.iloc[train])
            fits.append(time.perf_counter() - t0)
            per_seed.append(scorer(model, X.iloc[test]))
        emit(
            benchmark="protocol_ml100k",
            protocol="UserHoldoutSplit(test_size=0.2), seeds 0-2, median",
            model=name,
            **{m: round(float(np.median([r[m] for r in per_seed])), 4) for m in METRICS},
            ndcg10_per_seed=[round(r["ndcg@10"], 4) for r in per_seed],
            fit_s=round(median(fits), 3),
        )


if __name__ == "__main__":
    main()
